"""The rooms app's pages: rooms and join tokens (``rooms.views.rooms``), sessions and the live
moderation console (``rooms.views.sessions``).

Each view parses the request, checks the permission, calls a service and renders its one template:
the whole page, or for an HTMX request the named partial its target asks for. Telnyx outages become
a banner over the last data the page could get (``dashboard.last_known``).
"""

from __future__ import annotations

from dashboard.pages import HtmxRequest


def moderation_perms(request: HtmxRequest) -> dict[str, bool]:
    """What the signed-in user may do on these pages (which buttons to show)."""
    user = request.user
    return {
        "can_moderate": user.has_perm("dashboard.moderate_sessions"),
        "can_manage": user.has_perm("dashboard.manage_rooms"),
        "can_tokens": user.has_perm("dashboard.create_join_tokens"),
    }
