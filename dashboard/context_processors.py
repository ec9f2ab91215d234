from __future__ import annotations

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from dashboard.roles import role_of

# (url name, label). An entry whose page is not installed is left out of the bar.
NAVIGATION = (
    ("overview", "Overview"),
    ("rooms:list", "Rooms"),
    ("sessions:list", "Sessions"),
    ("recordings:list", "Recordings"),
    ("compositions:list", "Compositions"),
)


def _nav_entries() -> list[tuple[str, str]]:
    entries = []
    for name, label in NAVIGATION:
        try:
            entries.append((reverse(name), label))
        except NoReverseMatch:
            continue
    return entries


def navigation(request: HttpRequest) -> dict[str, object]:
    """The navigation bar, which entry is current, and the signed-in user's role."""
    entries = _nav_entries()
    current = ""
    for url, _label in entries:
        matches = request.path == url if url == "/" else request.path.startswith(url)
        if matches and len(url) > len(current):
            current = url
    user = getattr(request, "user", None)
    return {
        "nav_entries": entries,
        "nav_current": current,
        "user_role": role_of(user) if user is not None else None,
    }
