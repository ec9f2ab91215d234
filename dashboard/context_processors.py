from __future__ import annotations

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from dashboard.roles import role_shown

# (url name, label, the permission that shows it). An entry whose page is not installed is left out.
NAVIGATION = (
    ("overview", "Overview", "view_dashboard"),
    ("rooms:list", "Rooms", "view_dashboard"),
    ("sessions:list", "Sessions", "view_dashboard"),
    ("recordings:list", "Recordings", "view_dashboard"),
    ("compositions:list", "Compositions", "view_dashboard"),
    ("audit:list", "Audit log", "view_dashboard"),
    ("webhooks:list", "Events", "manage_rooms"),
    ("webhooks:setup", "Webhooks", "manage_rooms"),
    ("governance:holds", "Governance", "moderate_sessions"),
    ("accounts:people", "People", "manage_users"),
)


def _nav_entries(user: object) -> list[tuple[str, str]]:
    has_perm = getattr(user, "has_perm", None)
    entries = []
    for name, label, permission in NAVIGATION:
        if has_perm is None or not has_perm(f"dashboard.{permission}"):
            continue
        try:
            entries.append((reverse(name), label))
        except NoReverseMatch:
            continue
    return entries


def navigation(request: HttpRequest) -> dict[str, object]:
    """The navigation bar, which entry is current, and the signed-in user's role."""
    user = getattr(request, "user", None)
    entries = _nav_entries(user)
    current = ""
    for url, _label in entries:
        matches = request.path == url if url == "/" else request.path.startswith(url)
        if matches and len(url) > len(current):
            current = url
    return {
        "nav_entries": entries,
        "nav_current": current,
        "user_role": role_shown(user) if user is not None else None,
    }
