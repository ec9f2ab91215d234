"""The Telnyx receiver (no login, no CSRF: the signature or the secret URL is the credential), the
Webhooks page and the event log."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dashboard.errors import NotFound, UserError
from dashboard.pages import HtmxRequest, partial_for, query_without
from dashboard.roles import permission_required
from webhooks import applying, room_urls, services
from webhooks.signatures import Refusal


def _refusal(refusal: Refusal) -> JsonResponse:
    return JsonResponse({"error": refusal.message, "reason": refusal.reason}, status=refusal.status)


@csrf_exempt
@login_not_required
@require_POST
def receive(request: HtmxRequest) -> HttpResponse:
    """Telnyx's signed events: 200 once stored (or already stored), 4xx/503 with a reason otherwise."""
    try:
        if services.webhooks_on():
            services.check_size(request.META.get("CONTENT_LENGTH"))
        receipt = services.receive_signed(
            body=request.body,
            timestamp=request.headers.get("telnyx-timestamp", ""),
            signature=request.headers.get("telnyx-signature-ed25519", ""),
        )
    except Refusal as refusal:
        return _refusal(refusal)
    return JsonResponse(receipt.as_json())


@csrf_exempt
@login_not_required
@require_POST
def receive_secret(request: HtmxRequest, token: str) -> HttpResponse:
    """Unsigned events at the secret URL; 404 unless ``token`` is the current one."""
    try:
        if not services.secret_token_matches(token):
            raise NotFound("No such webhook URL.")
        services.check_size(request.META.get("CONTENT_LENGTH"))
        receipt = services.receive_unsigned(token=token, body=request.body)
    except NotFound:
        return JsonResponse({"error": "Not found."}, status=404)
    except Refusal as refusal:
        return _refusal(refusal)
    return JsonResponse(receipt.as_json())


def _receiver_url(request: HtmxRequest, path: str) -> str:
    base = settings.DASHBOARD_PUBLIC_URL
    return base + path if base else request.build_absolute_uri(path)


@permission_required("manage_rooms")
@require_GET
def setup(request: HtmxRequest) -> HttpResponse:
    context = {
        "status": services.status(),
        "receiver_url": _receiver_url(request, reverse("webhooks:receive")),
        "public_url": settings.DASHBOARD_PUBLIC_URL,
        "new_secret_url": "",
        "rooms_receiver_url": room_urls.receiver_url(),
    }
    return render(request, "webhooks/setup.html", context)


@permission_required("manage_rooms")
@require_http_methods(["GET", "POST"])
def point_rooms(request: HtmxRequest) -> HttpResponse:
    """GET: which rooms have no webhook URL (the preview). POST: set this dashboard's on them."""
    url = room_urls.receiver_url()
    if request.method == "POST":
        try:
            result = room_urls.point_rooms_here(user=request.user, room_ids=request.POST.getlist("room"))
        except UserError as exc:
            messages.error(request, exc.message)
            return redirect("webhooks:point_rooms")
        if result.updated:
            messages.success(request, f"{len(result.updated)} room(s) now send their events to {url}.")
        for room, message in result.failed:
            messages.error(request, f"{room.unique_name or room.id}: {message}")
        if result.skipped:
            messages.info(
                request, f"{result.skipped} room(s) got a webhook URL meanwhile or are gone; left alone."
            )
        return redirect("webhooks:setup")
    rooms: list[Any] = []
    error = ""
    if url:
        try:
            rooms = room_urls.rooms_without_url()
        except UserError as exc:
            error = exc.message
    return render(request, "webhooks/point_rooms.html", {"rooms": rooms, "url": url, "error": error})


@permission_required("manage_rooms")
@require_POST
def secret_url(request: HtmxRequest) -> HttpResponse:
    """Turn the secret URL on (or rotate it: a new token, the old URL stops at once) or off."""
    if request.POST.get("action") == "off":
        services.turn_off_secret_url()
        messages.success(request, "The secret URL is off; events sent to it are now refused.")
        return redirect("webhooks:setup")
    token = services.turn_on_secret_url(username=request.user.get_username())
    context = {
        "status": services.status(),
        "receiver_url": _receiver_url(request, reverse("webhooks:receive")),
        "public_url": settings.DASHBOARD_PUBLIC_URL,
        "new_secret_url": _receiver_url(request, reverse("webhooks:receive_secret", args=[token])),
    }
    # Shown once, in this answer only: the page never stores the token, only its hash.
    response = render(request, "webhooks/setup.html", context)
    response["Cache-Control"] = "no-store"
    return response


@permission_required("manage_rooms")
@require_GET
def event_list(request: HtmxRequest) -> HttpResponse:
    filters = services.EventFilters(
        event_type=request.GET.get("type", "").strip(),
        room=request.GET.get("room", "").strip(),
        failed=request.GET.get("failed") == "1",
    )
    page = Paginator(services.events_for(filters=filters), 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filters": filters,
        "event_types": services.event_types(),
        "rooms": services.event_rooms(),
        "query": query_without(request, "page"),
        "webhooks_on": services.webhooks_on(),
    }
    return render(
        request, partial_for(request, "webhooks/events.html", {"event-table": "event-table"}), context
    )


@permission_required("manage_rooms")
@require_POST
def event_apply_again(request: HtmxRequest, pk: int) -> HttpResponse:
    try:
        event = applying.apply_again(pk=pk)
    except NotFound:
        raise Http404("No such event.") from None
    except UserError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Event {event.event_id} is queued to be applied again.")
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/webhooks/") else "webhooks:list")
