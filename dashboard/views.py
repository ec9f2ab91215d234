from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from dashboard.concurrently import call_concurrently
from dashboard.health import detail_checks, readiness_checks, recent_workers
from dashboard.last_known import last_known
from dashboard.pages import HtmxRequest
from dashboard.roles import permission_required
from recordings.services.browse import overview_stats
from rooms import live as rooms_live
from rooms import services as rooms_services


@login_not_required
@never_cache
@require_GET
def healthz(request: HtmxRequest) -> JsonResponse:
    """Liveness and readiness for load balancers: 200 if the database and broker answer, else 503.

    Answers within a second and never calls Telnyx. Anyone may ask, so the body says only ok or
    not per check: no host, port, URL, version or error text (those are in ``healthz_detail``).
    """
    checks = readiness_checks()
    healthy = all(check.ok for check in checks.values())
    body = {"status": "ok" if healthy else "degraded", "checks": {k: {"ok": v.ok} for k, v in checks.items()}}
    return JsonResponse(body, status=200 if healthy else 503)


@permission_required("view_dashboard")
@never_cache
@require_GET
def healthz_detail(request: HtmxRequest) -> JsonResponse:
    """The database, broker and Telnyx with what each said, and the workers' heartbeats, for staff.

    200 if every check passed, else 503; answers within about a second (Telnyx is probed with short
    timeouts and no retries).
    """
    checks = detail_checks()
    healthy = all(check.ok for check in checks.values())
    body = {
        "status": "ok" if healthy else "degraded",
        "checks": {k: v.as_dict() for k, v in checks.items()},
        "workers": [worker.as_dict() for worker in recent_workers()],
    }
    return JsonResponse(body, status=200 if healthy else 503)


@permission_required("view_dashboard")
def overview(request: HtmxRequest) -> HttpResponse:
    """What is live now, the latest ended sessions, recordings and compositions, system health.

    HTMX polls ask for one part each (by target id): ``live-now`` and ``system-status``.
    """
    target = request.htmx.target if request.htmx else None
    on = rooms_live.webhooks_on()
    # With events the live list reads the dashboard's own state (Telnyx once per reconcile period
    # for every viewer together), so it can refresh often; without, it follows the polling period.
    live_secs = settings.LIVE_EVENTS_POLL_SECS if on else settings.LIVE_SESSION_POLL_SECS
    context: dict[str, Any] = {"poll_secs": float(live_secs) * 2}
    reads: dict[str, Callable[[], Any]] = {}
    if target in (None, "live-now"):
        reads["live"] = lambda: last_known(rooms_live.live_sessions, default=[])
        context["live_source"] = rooms_live.EVENTS if on else rooms_live.POLLING
    if target is None:
        reads["ended"] = lambda: last_known(rooms_services.list_sessions, active=False, page_size=8)
    if target in (None, "system-status"):
        reads["checks"] = detail_checks  # asks Telnyx too
    # Independent Telnyx reads, asked for at once: the page waits for the slowest, not the sum.
    context.update(zip(reads, call_concurrently(*reads.values()), strict=True))
    if target is None:
        context["recording_stats"] = overview_stats()
    if target in (None, "system-status"):
        context["workers"] = recent_workers()
    if target == "live-now":
        return render(request, "dashboard/overview.html#live-now", context)
    if request.htmx:
        return render(request, "dashboard/overview.html#system-status", context)
    return render(request, "dashboard/overview.html", context)
