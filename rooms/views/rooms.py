"""Rooms and their join tokens."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dashboard.concurrently import call_concurrently
from dashboard.errors import NotFound, UserError, add_to_form
from dashboard.last_known import last_known
from dashboard.pages import HtmxRequest, page_number, partial_for, query_without
from dashboard.roles import permission_required
from dashboard.telnyx import ClientToken
from rooms import join_links, live, moderation, services, tokens
from rooms.forms import (
    JoinTokenForm,
    RefreshTokenForm,
    RoomFilterForm,
    RoomForm,
)
from rooms.views import moderation_perms
from webhooks import room_urls

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# --- rooms ------------------------------------------------------------------------------------------


@permission_required("view_dashboard")
@require_GET
def room_list(request: HtmxRequest) -> HttpResponse:
    form = RoomFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_valid():
        filters = {
            "name": form.cleaned_data["q"] or "",
            "created_from": form.cleaned_data["created_from"],
            "created_to": form.cleaned_data["created_to"],
        }
    page = page_number(request)
    snapshot = last_known(services.list_rooms, page=page, **filters)
    context = {
        "form": form,
        "snapshot": snapshot,
        "listing": snapshot.value,
        "query": query_without(request, "page"),
        **moderation_perms(request),
    }
    return render(request, partial_for(request, "rooms/list.html", {"room-table": "room-table"}), context)


@permission_required("manage_rooms")
@require_http_methods(["GET", "POST"])
def room_new(request: HtmxRequest) -> HttpResponse:
    # A new room sends its events to this dashboard unless the admin changes the URL.
    form = RoomForm(request.POST or None, initial={"webhook_event_url": room_urls.receiver_url()})
    if request.method == "POST" and form.is_valid():
        try:
            room = services.create_room(user=request.user, **form.cleaned_data)
        except UserError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, f"Telnyx created room {room.unique_name or room.id}.")
            return redirect("rooms:detail", room_id=room.id)
    return render(request, "rooms/form.html", {"form": form, "room": None})


@permission_required("manage_rooms")
@require_http_methods(["GET", "POST"])
def room_edit(request: HtmxRequest, room_id: str) -> HttpResponse:
    room = _room_or_404(request, room_id)
    if room is None:
        return redirect("rooms:list")
    form = RoomForm(request.POST or None, initial=RoomForm.initial_from(room))
    if request.method == "POST" and form.is_valid():
        changed = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            services.update_room(user=request.user, room_id=room.id, **changed)
        except UserError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, f"Telnyx saved room {form.cleaned_data['unique_name'] or room.id}.")
            return redirect("rooms:detail", room_id=room.id)
    return render(request, "rooms/form.html", {"form": form, "room": room})


@permission_required("manage_rooms")
@require_http_methods(["GET", "POST"])
def room_delete(request: HtmxRequest, room_id: str) -> HttpResponse:
    room = _room_or_404(request, room_id)
    if room is None:
        return redirect("rooms:list")
    if request.method == "POST":
        try:
            message = services.delete_room(
                user=request.user, room_id=room.id, room_name=room.unique_name or ""
            )
        except UserError as exc:
            messages.error(request, exc.message)
            return redirect("rooms:detail", room_id=room.id)
        messages.success(request, message)
        return redirect("rooms:list")
    return render(request, "rooms/delete.html", {"room": room})


def _room_or_404(request: HtmxRequest, room_id: str) -> services.Room | None:
    """The room, or 404; while Telnyx is down its last known copy, or None with a message said."""
    try:
        snapshot = last_known(services.get_room, room_id=room_id)
    except NotFound:
        raise Http404("No such room.") from None
    if snapshot.value is None:
        messages.error(request, snapshot.error)
    return snapshot.value


@permission_required("view_dashboard")
@require_GET
def room_detail(request: HtmxRequest, room_id: str) -> HttpResponse:
    if request.htmx and request.htmx.target == "live-session":
        return _room_live(request, room_id)
    return _render_room_detail(request, room_id)


def _live_list_poll_secs() -> float:
    """The overview's and a room page's live lists: twice the console's period."""
    return 2 * live.browser_poll_secs(live.EVENTS if live.webhooks_on() else live.POLLING)


def _room_live(request: HtmxRequest, room_id: str) -> HttpResponse:
    """The room page's live list, refreshed from live state like the overview's."""
    snapshot = last_known(live.room_live, room_id=room_id)
    if snapshot.value is not None:
        moderation.with_mute_state(snapshot.value)
    context = {
        "room_id": room_id,
        "live": snapshot.value,
        "live_snapshot": snapshot,
        "live_poll_secs": _live_list_poll_secs(),
        **moderation_perms(request),
    }
    return render(request, "rooms/detail.html#live-session", context)


def _render_room_detail(request: HtmxRequest, room_id: str, **extra: Any) -> HttpResponse:
    sessions_page = page_number(request, "sessions_page")
    try:
        snapshot, media = call_concurrently(
            lambda: last_known(services.get_room_detail, room_id=room_id, sessions_page=sessions_page),
            lambda: last_known(services.get_room_media, room_id=room_id),
        )
    except NotFound:
        raise Http404("No such room.") from None
    detail = snapshot.value
    if detail is not None and detail.live is not None:
        moderation.with_mute_state(detail.live)
    context = {
        "room_id": room_id,
        "snapshot": snapshot,
        "detail": detail,
        "room": detail.room if detail else None,
        "recordings": media.value.recordings if media.value else None,
        "compositions": media.value.compositions if media.value else None,
        "media_error": media.error,
        "token_form": JoinTokenForm(),
        "live": detail.live if detail else None,
        "live_poll_secs": _live_list_poll_secs(),
        "sessions_query": query_without(request, "sessions_page"),
        **_TOKEN_DEFAULTS,
        **moderation_perms(request),
        **extra,
    }
    partials = {"join-token": "join-token", "past-sessions": "past-sessions"}
    return render(request, partial_for(request, "rooms/detail.html", partials), context)


@permission_required("create_join_tokens")
@require_POST
def room_token(request: HtmxRequest, room_id: str) -> HttpResponse:
    """Generate a join token: shown once in the answer (never stored), with a refresh form."""
    form = JoinTokenForm(request.POST)
    token = None
    error = ""
    if form.is_valid():
        try:
            token = tokens.generate_join_token(
                user=request.user,
                room_id=room_id,
                **form.cleaned_data,
            )
        except NotFound:
            raise Http404("No such room.") from None
        except UserError as exc:
            error = exc.message
            for name, msgs in exc.field_errors.items():
                for msg in msgs:
                    form.add_error(name if name in form.fields else None, msg)
    return _token_answer(request, room_id, form=form, token=token, error=error)


@permission_required("create_join_tokens")
@require_POST
def room_token_refresh(request: HtmxRequest, room_id: str) -> HttpResponse:
    form = RefreshTokenForm(request.POST)
    token = None
    error = ""
    refresh_token = request.POST.get("refresh_token", "")
    if form.is_valid():
        try:
            token = tokens.refresh_join_token(
                user=request.user,
                room_id=room_id,
                refresh_token=form.cleaned_data["refresh_token"],
                token_ttl_secs=form.cleaned_data["token_ttl_secs"],
            )
        except NotFound:
            raise Http404("No such room.") from None
        except UserError as exc:
            error = exc.message
    else:
        error = "The refresh form was not valid: " + "; ".join(
            f"{k}: {' '.join(str(m) for m in v)}" for k, v in form.errors.items()
        )
    return _token_answer(
        request,
        room_id,
        form=JoinTokenForm(),
        token=token,
        error=error,
        refresh_token=refresh_token,
        refresh_expires_at=request.POST.get("refresh_expires_at", ""),
        refreshed=True,
    )


_TOKEN_DEFAULTS = {
    "token": None,
    "error": "",
    "room_name": "",
    "refresh_token": "",
    "refresh_expires_at": "",
    "refreshed": False,
    "join": None,
}


def _token_answer(request: HtmxRequest, room_id: str, **token_context: Any) -> HttpResponse:
    context = {
        **_TOKEN_DEFAULTS,
        "room_id": room_id,
        "room_name": request.POST.get("room_name", ""),
        "token_form": token_context.pop("form"),
        **token_context,
        **moderation_perms(request),
    }
    token: ClientToken | None = context.get("token")
    if token is not None and token.token:
        context["join"] = join_links.join_link(
            room_id=room_id, room_name=context["room_name"], token=token.token
        )
    if request.htmx:
        response = render(request, "rooms/detail.html#join-token", context)
    else:
        context.pop("room_id")
        response = _render_room_detail(request, room_id, **context)
    response["Cache-Control"] = "no-store"  # the answer holds a credential
    return response
