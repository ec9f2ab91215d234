"""Middleware of the dashboard's own."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from dashboard.telnyx.deadline import deadline

__all__ = ["telnyx_budget"]


def telnyx_budget(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Every Telnyx call made while serving one request shares one budget: ``TELNYX_PAGE_BUDGET_SECS``
    for reads, ``TELNYX_ACTION_BUDGET_SECS`` for a POST, which sends a change.

    Retries and backoff included; when the budget runs out the call fails as a timeout and the page
    answers from the last known data (``dashboard.last_known``). The budget covers the view, not
    the streaming of a response body afterwards (a download's bytes are not Telnyx API calls).
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        seconds = (
            settings.TELNYX_ACTION_BUDGET_SECS
            if request.method == "POST"
            else settings.TELNYX_PAGE_BUDGET_SECS
        )
        with deadline(float(seconds)):
            return get_response(request)

    return middleware
