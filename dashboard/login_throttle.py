"""Sign-in throttling with django-axes: the authentication backend and the lockout page.

Failed sign-ins are counted per username and client address (``AXES_LOCKOUT_PARAMETERS``); after
``LOGIN_FAILURE_LIMIT`` of them that pair is refused, even with the right password, for
``LOGIN_COOLOFF_MINUTES`` or until an admin deletes the lockout in the admin site (Login lockouts →
Access attempts) or runs ``python manage.py axes_reset_username NAME``.
"""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


class LoginThrottleBackend(AxesStandaloneBackend):
    """Refuses sign-ins for a locked-out username and address; authenticates nobody itself.

    Every sign-in from a browser (the login page, the admin's login) passes the request and is
    throttled. ``authenticate()`` without a request happens only in-process (the test client's
    ``login()``, scripts): there is no client address to count, so this backend stands aside
    instead of raising, and the next backend decides.
    """

    def authenticate(self, request: HttpRequest | None, *args: Any, **kwargs: Any) -> None:
        if request is None:
            return None
        super().authenticate(request, *args, **kwargs)  # axes refuses by raising; it never signs in
        return None


def locked_out_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict[str, Any] | None
) -> HttpResponse:
    """The login page again, saying why the sign-in was refused and for how long (status 429)."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    form = AuthenticationForm(request, initial={"username": username})
    context = {
        "form": form,
        "next": request.POST.get("next", request.GET.get("next", "")),
        "locked_out": True,
        "cooloff_minutes": settings.LOGIN_COOLOFF_MINUTES,
    }
    return render(request, "registration/login.html", context, status=429)
