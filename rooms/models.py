"""Rooms, sessions and participants live in Telnyx; this app keeps no table of its own."""
