"""Rooms, sessions, the moderation console and the audit log.

Each view parses the request, checks the permission, calls ``rooms.services`` and renders its one
template: the whole page, or for an HTMX request the named partial its target asks for. Telnyx
outages become a banner over the last data the page could get (``services.last_known``).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rooms import services as S
from rooms.forms import (
    JoinTokenForm,
    ModerationForm,
    RefreshTokenForm,
    RoomFilterForm,
    RoomForm,
    SessionFilterForm,
)
from rooms.models import AuditEntry
from rooms.timeline import build_timeline

View = Callable[..., HttpResponse]


def require_perm(codename: str) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.has_perm(f"dashboard.{codename}"):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _page_number(request: HttpRequest, name: str = "page") -> int:
    try:
        return max(1, int(request.GET.get(name, "1")))
    except ValueError:
        return 1


def _query_without(request: HttpRequest, name: str) -> str:
    params = request.GET.copy()
    params.pop(name, None)
    return params.urlencode()


def _poll_secs() -> float:
    return float(settings.LIVE_SESSION_POLL_SECS)


def _moderation_perms(request: HttpRequest) -> dict[str, bool]:
    user = request.user
    return {
        "can_moderate": user.has_perm("dashboard.moderate_sessions"),
        "can_manage": user.has_perm("dashboard.manage_rooms"),
        "can_tokens": user.has_perm("dashboard.create_join_tokens"),
    }


def _partial(request: HttpRequest, template: str, partials: dict[str, str], default: str = "") -> str:
    """The template (or its named partial) for this request: HTMX targets pick their partial."""
    if request.htmx:
        target = request.htmx.target or ""
        if target in partials:
            return f"{template}#{partials[target]}"
        if default:
            return f"{template}#{default}"
    return template


# --- rooms ------------------------------------------------------------------------------------------


@require_perm("view_dashboard")
@require_GET
def room_list(request: HttpRequest) -> HttpResponse:
    form = RoomFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_valid():
        filters = {
            "name": form.cleaned_data["q"] or "",
            "created_from": form.cleaned_data["created_from"],
            "created_to": form.cleaned_data["created_to"],
        }
    page = _page_number(request)
    key = "rooms:" + urlencode(
        sorted({**{k: str(v or "") for k, v in filters.items()}, "page": page}.items())
    )
    snapshot = S.last_known(key, lambda: S.list_rooms(page=page, **filters))
    context = {
        "form": form,
        "snapshot": snapshot,
        "listing": snapshot.value,
        "query": _query_without(request, "page"),
        **_moderation_perms(request),
    }
    return render(request, _partial(request, "rooms/list.html", {"room-table": "room-table"}), context)


@require_perm("manage_rooms")
@require_http_methods(["GET", "POST"])
def room_new(request: HttpRequest) -> HttpResponse:
    form = RoomForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            room = S.create_room(user=request.user, **form.cleaned_data)
        except S.RoomsError as exc:
            form.add_telnyx_errors(exc)
        else:
            messages.success(request, f"Telnyx created room {room.unique_name or room.id}.")
            return redirect("rooms:detail", room_id=room.id)
    return render(request, "rooms/form.html", {"form": form, "room": None})


@require_perm("manage_rooms")
@require_http_methods(["GET", "POST"])
def room_edit(request: HttpRequest, room_id: str) -> HttpResponse:
    room = _room_or_404(request, room_id)
    if room is None:
        return redirect("rooms:list")
    form = RoomForm(request.POST or None, initial=RoomForm.initial_from(room))
    if request.method == "POST" and form.is_valid():
        changed = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            S.update_room(user=request.user, room_id=room.id, **changed)
        except S.RoomsError as exc:
            form.add_telnyx_errors(exc)
        else:
            messages.success(request, f"Telnyx saved room {form.cleaned_data['unique_name'] or room.id}.")
            return redirect("rooms:detail", room_id=room.id)
    return render(request, "rooms/form.html", {"form": form, "room": room})


@require_perm("manage_rooms")
@require_http_methods(["GET", "POST"])
def room_delete(request: HttpRequest, room_id: str) -> HttpResponse:
    room = _room_or_404(request, room_id)
    if room is None:
        return redirect("rooms:list")
    if request.method == "POST":
        try:
            message = S.delete_room(user=request.user, room_id=room.id, room_name=room.unique_name or "")
        except S.RoomsError as exc:
            messages.error(request, exc.message)
            return redirect("rooms:detail", room_id=room.id)
        messages.success(request, message)
        return redirect("rooms:list")
    return render(request, "rooms/delete.html", {"room": room})


def _room_or_404(request: HttpRequest, room_id: str) -> S.Room | None:
    """The room, or 404; while Telnyx is down its last known copy, or None with a message said."""
    try:
        snapshot = S.last_known(f"room:{room_id}", lambda: S.get_room(room_id=room_id))
    except S.NotFound:
        raise Http404("No such room.") from None
    if snapshot.value is None:
        messages.error(request, snapshot.error)
    return snapshot.value  # type: ignore[no-any-return]


@require_perm("view_dashboard")
@require_GET
def room_detail(request: HttpRequest, room_id: str) -> HttpResponse:
    return _render_room_detail(request, room_id)


def _render_room_detail(request: HttpRequest, room_id: str, **extra: Any) -> HttpResponse:
    sessions_page = _page_number(request, "sessions_page")
    try:
        snapshot = S.last_known(
            f"room-detail:{room_id}:{sessions_page}",
            lambda: S.get_room_detail(room_id=room_id, sessions_page=sessions_page),
        )
    except S.NotFound:
        raise Http404("No such room.") from None
    detail = snapshot.value
    media = S.last_known(
        f"room-media:{room_id}",
        lambda: (S.list_room_recordings(room_id=room_id), S.list_room_compositions(room_id=room_id)),
        default=(None, None),
    )
    context = {
        "room_id": room_id,
        "snapshot": snapshot,
        "detail": detail,
        "room": detail.room if detail else None,
        "recordings": media.value[0],
        "compositions": media.value[1],
        "media_error": media.error,
        "token_form": JoinTokenForm(),
        "sessions_query": _query_without(request, "sessions_page"),
        **_TOKEN_DEFAULTS,
        **_moderation_perms(request),
        **extra,
    }
    partials = {"join-token": "join-token", "past-sessions": "past-sessions"}
    return render(request, _partial(request, "rooms/detail.html", partials), context)


@require_perm("create_join_tokens")
@require_POST
def room_token(request: HttpRequest, room_id: str) -> HttpResponse:
    """Generate a join token: shown once in the answer (never stored), with a refresh form."""
    form = JoinTokenForm(request.POST)
    token = None
    error = ""
    if form.is_valid():
        try:
            token = S.generate_join_token(
                user=request.user,
                room_id=room_id,
                room_name=request.POST.get("room_name", ""),
                **form.cleaned_data,
            )
        except S.NotFound:
            raise Http404("No such room.") from None
        except S.RoomsError as exc:
            error = exc.message
            for name, msgs in exc.field_errors.items():
                for msg in msgs:
                    form.add_error(name if name in form.fields else None, msg)
    return _token_answer(request, room_id, form=form, token=token, error=error)


@require_perm("create_join_tokens")
@require_POST
def room_token_refresh(request: HttpRequest, room_id: str) -> HttpResponse:
    form = RefreshTokenForm(request.POST)
    token = None
    error = ""
    refresh_token = request.POST.get("refresh_token", "")
    if form.is_valid():
        try:
            token = S.refresh_join_token(
                user=request.user,
                room_id=room_id,
                room_name=request.POST.get("room_name", ""),
                refresh_token=form.cleaned_data["refresh_token"],
                token_ttl_secs=form.cleaned_data["token_ttl_secs"],
            )
        except S.NotFound:
            raise Http404("No such room.") from None
        except S.RoomsError as exc:
            error = exc.message
    else:
        error = "The refresh form was not valid: " + "; ".join(
            f"{k}: {' '.join(v)}" for k, v in form.errors.items()
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
}


def _token_answer(request: HttpRequest, room_id: str, **token_context: Any) -> HttpResponse:
    context = {
        **_TOKEN_DEFAULTS,
        "room_id": room_id,
        "room_name": request.POST.get("room_name", ""),
        "token_form": token_context.pop("form"),
        **token_context,
        **_moderation_perms(request),
    }
    if request.htmx:
        response = render(request, "rooms/detail.html#join-token", context)
    else:
        context.pop("room_id")
        response = _render_room_detail(request, room_id, **context)
    response["Cache-Control"] = "no-store"  # the answer holds a credential
    return response


# --- sessions ---------------------------------------------------------------------------------------


@require_perm("view_dashboard")
@require_GET
def session_list(request: HttpRequest) -> HttpResponse:
    form = SessionFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_valid():
        filters = {
            "room_id": form.cleaned_data["room"].strip() or None,
            "active": form.active(),
            "on_date": form.cleaned_data["on_date"],
        }
    page = _page_number(request)
    key = "sessions:" + urlencode(sorted({**{k: str(v) for k, v in filters.items()}, "page": page}.items()))
    try:
        snapshot = S.last_known(key, lambda: S.list_sessions(page=page, **filters))
    except S.RoomsError as exc:  # e.g. a room id Telnyx refuses as a filter
        snapshot = S.Snapshot(value=None, stale=False, error=exc.message)
    context = {
        "form": form,
        "snapshot": snapshot,
        "listing": snapshot.value,
        "query": _query_without(request, "page"),
    }
    return render(
        request, _partial(request, "sessions/list.html", {"session-table": "session-table"}), context
    )


@require_perm("view_dashboard")
@require_GET
def session_detail(request: HttpRequest, session_id: str) -> HttpResponse:
    table_only = bool(request.htmx) and request.htmx.target == "participant-table"
    try:
        snapshot = S.last_known(
            f"session:{session_id}:{'table' if table_only else 'page'}",
            lambda: S.get_session(session_id=session_id, with_room=not table_only),
        )
    except S.NotFound:
        raise Http404("No such session.") from None
    detail: S.SessionDetail | None = snapshot.value
    context = _session_context(request, session_id, detail, snapshot=snapshot, table_only=table_only)
    if table_only:
        response = render(request, "sessions/detail.html#participant-table", context)
        if detail is not None and not detail.active:
            response.status_code = 286  # htmx stops polling: the session is over
        return response
    history = S.moderation_history(session_id=session_id)
    context["timeline"] = build_timeline(detail, history) if detail else None
    context["history"] = history
    return render(request, "sessions/detail.html", context)


def _session_context(
    request: HttpRequest, session_id: str, detail: S.SessionDetail | None, **extra: Any
) -> dict[str, Any]:
    context = {
        "session_id": session_id,
        "detail": detail,
        "poll_secs": _poll_secs(),
        "composition_url": _composition_url(session_id),
        **_moderation_perms(request),
    }
    context.update(extra)
    return context


def _composition_url(session_id: str) -> str:
    try:
        return reverse("compositions:new") + "?" + urlencode({"session_id": session_id})
    except Exception:  # the compositions pages are not installed yet
        return ""


@require_perm("moderate_sessions")
@require_POST
def session_action(request: HttpRequest, session_id: str, action: str) -> HttpResponse:
    """``POST /sessions/<id>/{mute,unmute,kick,end}``: answers with the new table and what Telnyx said."""
    if action == "end":
        result = S.end_session(user=request.user, session_id=session_id)
    else:
        form = ModerationForm(request.POST)
        if form.is_valid():
            participants, exclude = form.cleaned_data["resolved"]
            result = S.moderate(
                user=request.user,
                session_id=session_id,
                action=action,
                participants=participants,
                exclude=exclude,
            )
        else:
            message = " ".join(str(e) for errors in form.errors.values() for e in errors)
            result = S.ModerationResult(accepted=False, message=message, detail=None)
    if not request.htmx:
        (messages.success if result.accepted else messages.error)(request, result.message)
        return redirect("sessions:detail", session_id=session_id)
    detail = result.detail
    stale = detail is None
    if detail is None:
        try:
            snapshot = S.last_known(
                f"session:{session_id}:table", lambda: S.get_session(session_id=session_id)
            )
        except S.RoomsError:  # no such session (any more): the result banner already says why
            snapshot = S.Snapshot(value=None)
        detail = snapshot.value
    context = _session_context(request, session_id, detail, result=result, stale_table=stale)
    return render(request, "sessions/detail.html#moderation", context)


@require_perm("view_dashboard")
@require_GET
def session_attendance(request: HttpRequest, session_id: str) -> HttpResponse:
    """Attendance as CSV: participant, context, joined, left, seconds present."""
    try:
        detail = S.get_session(session_id=session_id, with_room=False)
    except S.NotFound:
        raise Http404("No such session.") from None
    except S.RoomsError as exc:
        messages.error(request, exc.message)
        return redirect("sessions:detail", session_id=session_id)

    def rows() -> Any:
        writer = csv.writer(_Echo())
        yield writer.writerow(["participant", "context", "joined", "left", "seconds_present"])
        for row in sorted(detail.rows, key=lambda r: r.participant.joined_at or detail.session.created_at):
            p = row.participant
            yield writer.writerow(
                [
                    p.id,
                    _csv_safe(p.context or ""),
                    p.joined_at.isoformat() if p.joined_at else "",
                    p.left_at.isoformat() if p.left_at else "",
                    row.seconds_present,
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="attendance-{session_id}.csv"'
    return response


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_safe(value: str) -> str:
    """Spreadsheet formula injection guard for text a participant chose (contexts, names)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


# --- audit log --------------------------------------------------------------------------------------


def _audit_entries(request: HttpRequest) -> tuple[Any, dict[str, str], bool]:
    sees_all = request.user.has_perm("dashboard.view_all_audit")
    entries = AuditEntry.objects.all()
    if not sees_all:
        entries = entries.filter(user=request.user)
    filters = {
        "user": request.GET.get("user", "").strip(),
        "action": request.GET.get("action", "").strip(),
        "room": request.GET.get("room", "").strip(),
    }
    if filters["user"] and sees_all:
        entries = entries.filter(username=filters["user"])
    if filters["action"]:
        entries = entries.filter(action=filters["action"])
    if filters["room"]:
        entries = entries.filter(room_id=filters["room"]) | entries.filter(room_name=filters["room"])
    return entries, filters, sees_all


@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    entries, filters, sees_all = _audit_entries(request)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    scope = AuditEntry.objects.all() if sees_all else AuditEntry.objects.filter(user=request.user)
    context = {
        "page": page,
        "filters": filters,
        "sees_all": sees_all,
        "actions": AuditEntry.Action.choices,
        "usernames": scope.order_by().values_list("username", flat=True).distinct() if sees_all else [],
        "rooms": scope.exclude(room_id="").order_by().values_list("room_id", "room_name").distinct(),
        "query": _query_without(request, "page"),
    }
    return render(request, _partial(request, "audit/list.html", {"audit-table": "audit-table"}), context)


@require_GET
def audit_csv(request: HttpRequest) -> HttpResponse:
    entries, _, _ = _audit_entries(request)

    def rows() -> Any:
        writer = csv.writer(_Echo())
        yield writer.writerow(
            ["when", "user", "action", "room_id", "room_name", "session_id", "target", "succeeded", "message"]
        )
        for e in entries.iterator():
            yield writer.writerow(
                [
                    e.created_at.isoformat(),
                    e.username,
                    e.action,
                    e.room_id,
                    _csv_safe(e.room_name),
                    e.session_id,
                    _csv_safe(_target_text(e.target)),
                    "yes" if e.succeeded else "no",
                    _csv_safe(e.message),
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{date.today().isoformat()}.csv"'
    return response


def _target_text(target: Any) -> str:
    if not isinstance(target, dict):
        return str(target or "")
    parts = []
    for key, value in target.items():
        if key == "sent_at":
            continue
        if isinstance(value, list):
            value = " ".join(str(v) for v in value)
        elif isinstance(value, dict):
            value = " ".join(f"{k}={v}" for k, v in value.items())
        parts.append(f"{key}: {value}")
    return "; ".join(parts)
