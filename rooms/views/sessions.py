"""Sessions, the live moderation console and attendance."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from dashboard.csv_export import csv_response
from dashboard.errors import NotFound, UserError
from dashboard.last_known import Snapshot, last_known
from dashboard.pages import HtmxRequest, page_number, partial_for, query_without
from dashboard.roles import permission_required
from governance.holds import held_session_ids
from rooms import live, moderation, services
from rooms.forms import (
    ModerationForm,
    SessionFilterForm,
)
from rooms.timeline import build_timeline
from rooms.views import moderation_perms

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: The table polls keep an outage copy at most this often: the live snapshot (``rooms.live``) answers
#: the first hour of an outage anyway, and storing 50 people on every poll cost more than reading them.
_REMEMBER_TABLE_SECS = 10.0


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
    listing = snapshot.value
    rows = listing.items if listing is not None else []
    context = {
        "form": form,
        "snapshot": snapshot,
        "listing": listing,
        "query": query_without(request, "page"),
        # The rows come from Telnyx: which of them a legal hold covers is one local query.
        "held_sessions": held_session_ids((row.session.id, row.session.room_id or "") for row in rows),
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
        snapshot = last_known(
            moderation.console,
            session_id=session_id,
            with_room=not table_only,
            remember_every=_REMEMBER_TABLE_SECS if table_only else 0,
        )
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
    perms = moderation_perms(request)
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
