from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from dashboard.health import run_checks
from dashboard.models import WorkerHeartbeat


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Machine-readable health for load balancers and uptime checks: 200 if all is well, else 503."""
    checks = run_checks()
    healthy = all(check.ok for check in checks.values())
    body = {"status": "ok" if healthy else "degraded", "checks": {k: v.as_dict() for k, v in checks.items()}}
    return JsonResponse(body, status=200 if healthy else 503)


def overview(request: HttpRequest) -> HttpResponse:
    checks = run_checks()
    workers = WorkerHeartbeat.objects.order_by("-last_seen")[:5]
    context = {"checks": checks, "workers": workers}
    if request.htmx:
        return render(request, "dashboard/overview.html#system-status", context)
    return render(request, "dashboard/overview.html", context)
