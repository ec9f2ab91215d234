"""Rooms, sessions, the moderation console and the audit log.

Each view parses the request, checks the permission, calls ``rooms.services`` and renders its one
template: the whole page, or for an HTMX request the named partial its target asks for. Telnyx
outages become a banner over the last data the page could get (``dashboard.last_known``).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dashboard.concurrently import call_concurrently
from dashboard.csv_export import csv_response
from dashboard.errors import NotFound, UserError, add_to_form
from dashboard.last_known import Snapshot, last_known
from dashboard.pages import HtmxRequest, page_number, partial_for, query_without
from dashboard.roles import permission_required
from dashboard.telnyx import ClientToken
from rooms import join_links, live, moderation, services, tokens
from rooms.forms import (
    JoinTokenForm,
    ModerationForm,
    RefreshTokenForm,
    RoomFilterForm,
    RoomForm,
    SessionFilterForm,
)
from rooms.timeline import build_timeline
from webhooks import room_urls

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _moderation_perms(request: HtmxRequest) -> dict[str, bool]:
    user = request.user
    return {
        "can_moderate": user.has_perm("dashboard.moderate_sessions"),
        "can_manage": user.has_perm("dashboard.manage_rooms"),
        "can_tokens": user.has_perm("dashboard.create_join_tokens"),
    }


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
        **_moderation_perms(request),
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
        **_moderation_perms(request),
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
        **_moderation_perms(request),
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
        **_moderation_perms(request),
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


# --- sessions ---------------------------------------------------------------------------------------


@permission_required("view_dashboard")
@require_GET
def session_list(request: HtmxRequest) -> HttpResponse:
    form = SessionFilterForm(request.GET or None, rooms=services.room_choices())
    filters: dict[str, Any] = {}
    if form.is_valid():
        filters = {
            "room_id": form.cleaned_data["room"] or None,
            "active": form.active(),
            "on_date": form.cleaned_data["on_date"],
        }
    page = page_number(request)
    try:
        snapshot = last_known(services.list_sessions, page=page, **filters)
    except UserError as exc:  # e.g. a room id Telnyx refuses as a filter
        snapshot = Snapshot(value=None, stale=False, error=exc.message)
    context = {
        "form": form,
        "snapshot": snapshot,
        "listing": snapshot.value,
        "query": query_without(request, "page"),
    }
    return render(
        request, partial_for(request, "sessions/list.html", {"session-table": "session-table"}), context
    )


@permission_required("view_dashboard")
@require_GET
def session_detail(request: HtmxRequest, session_id: str) -> HttpResponse:
    """The console. Its table polls this view (target ``participant-table``) with the version it
    shows: unchanged state answers 204 (htmx keeps the table), so an idle poll renders nothing."""
    table_only = bool(request.htmx) and request.htmx.target == "participant-table"
    try:
        snapshot = last_known(moderation.console, session_id=session_id, with_room=not table_only)
    except NotFound:
        raise Http404("No such session.") from None
    detail: services.SessionDetail | None = snapshot.value
    if detail is not None and detail.stale_error and not snapshot.stale:
        # Events (if any) are current, but Telnyx could not be asked when it was due: say so.
        snapshot = Snapshot(value=detail, stale=True, error=detail.stale_error, fetched_at=detail.checked_at)
    context = _session_context(request, session_id, detail, snapshot=snapshot, table_only=table_only)
    if table_only:
        if detail is not None and detail.active and request.GET.get("v") == context["version"]:
            return HttpResponse(status=204)
        response = render(request, "sessions/detail.html#participant-table", context)
        if detail is not None and not detail.active:
            response.status_code = 286  # htmx stops polling: the session is over
        return response
    history = moderation.moderation_history(session_id=session_id)
    context["timeline"] = build_timeline(detail, history) if detail else None
    context["history"] = history
    return render(request, "sessions/detail.html", context)


def _table_version(detail: services.SessionDetail | None, can_moderate: bool) -> str:
    """A short digest of what the participant table shows (durations aside: they refresh with each
    Telnyx check)."""
    if detail is None:
        return "none"
    shown = repr(
        (
            detail.active,
            detail.source,
            detail.checked_at,
            detail.stale_error,
            can_moderate,
            [(p.key, p.present_ids, p.joins, str(p.mute), p.latest.left_at) for p in detail.people],
        )
    )
    return hashlib.blake2s(shown.encode(), digest_size=8).hexdigest()


def _session_context(
    request: HtmxRequest, session_id: str, detail: services.SessionDetail | None, **extra: Any
) -> dict[str, Any]:
    perms = _moderation_perms(request)
    source = detail.source if detail and detail.source else live.POLLING
    context = {
        "session_id": session_id,
        "detail": detail,
        "poll_secs": live.period_secs(live.POLLING),
        "browser_poll_secs": live.browser_poll_secs(source),
        "version": _table_version(detail, perms["can_moderate"]),
        "composition_url": _composition_url(session_id),
        **perms,
    }
    context.update(extra)
    return context


def _composition_url(session_id: str) -> str:
    try:
        return reverse("compositions:new") + "?" + urlencode({"session_id": session_id})
    except Exception:  # the compositions pages are not installed yet
        return ""


@permission_required("moderate_sessions")
@require_POST
def session_action(request: HtmxRequest, session_id: str, action: str) -> HttpResponse:
    """``POST /sessions/<id>/{mute,unmute,kick,end}``: answers with the new table and what Telnyx said."""
    if action == "end":
        result = moderation.end_session(user=request.user, session_id=session_id)
    else:
        form = ModerationForm(request.POST)
        if form.is_valid():
            participants, exclude = form.cleaned_data["resolved"]
            result = moderation.moderate(
                user=request.user,
                session_id=session_id,
                action=action,
                participants=participants,
                exclude=exclude,
            )
        else:
            message = " ".join(str(e) for errors in form.errors.values() for e in errors)
            result = moderation.ModerationResult(accepted=False, message=message, detail=None)
    if not request.htmx:
        (messages.success if result.accepted else messages.error)(request, result.message)
        return redirect("sessions:detail", session_id=session_id)
    detail = result.detail
    stale = detail is None
    if detail is None:
        try:
            snapshot = last_known(moderation.console, session_id=session_id, with_room=False)
        except UserError:  # no such session (any more): the result banner already says why
            snapshot = Snapshot(value=None)
        detail = snapshot.value
    context = _session_context(request, session_id, detail, result=result, stale_table=stale)
    return render(request, "sessions/detail.html#moderation", context)


@permission_required("view_dashboard")
@require_GET
def session_attendance(request: HtmxRequest, session_id: str) -> HttpResponseBase:
    """Attendance as CSV: participant, context, joined, left, seconds present."""
    try:
        detail = services.get_session(session_id=session_id, with_room=False)
    except NotFound:
        raise Http404("No such session.") from None
    except UserError as exc:
        messages.error(request, exc.message)
        return redirect("sessions:detail", session_id=session_id)

    rows = sorted(detail.rows, key=lambda r: r.participant.joined_at or _EPOCH)
    return csv_response(
        f"attendance-{session_id}.csv",
        ["participant", "context", "joined", "left", "seconds_present"],
        (
            [
                row.participant.id,
                row.participant.context or "",
                row.participant.joined_at.isoformat() if row.participant.joined_at else "",
                row.participant.left_at.isoformat() if row.participant.left_at else "",
                row.seconds_present,
            ]
            for row in rows
        ),
    )
