"""A stateful, local emulator of the Telnyx Video Rooms API (the 25 operations of the spec).

Run it with ``python -m sandbox --port 8700 --api-key KEY``; tests start it as a real process through
:class:`sandbox.testing.SandboxProcess`. This package imports nothing from the dashboard.
"""
