"""Compositions: ask Telnyx to compose an ended session, and name where one comes from.

A new composition is due for its first check a second after it was asked for; the poll sweep
(``recordings.services.composition_polls``) checks it until it is final.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.models import AuditEntry
from audit.services import audited
from dashboard import display
from dashboard.errors import Refused, telnyx_call
from dashboard.telnyx import get_client
from recordings.models import Composition, Recording
from recordings.services.composition_polls import poll_interval
from recordings.services.sync_rows import upsert_compositions, upsert_recordings


def session_video_recordings(*, session_id: str) -> list[Recording]:
    """The session's video recordings: from the local table, else asked of Telnyx (and stored)."""
    videos = Recording.objects.filter(
        session_id=session_id, type=Recording.Type.VIDEO, gone_upstream=False
    ).order_by("started_at")
    local = list(videos)
    if local:
        return local
    with telnyx_call("list the session's video recordings"):
        items = list(get_client().iter_recordings(session_id=session_id, type="video"))
    if items:
        upsert_recordings(items)
    return list(videos.all())


def video_sources(*, session_id: str) -> list[tuple[str, str]]:
    """(recording id, label) of the session's video recordings: the choices of a layout's sources.

    The label leads with the participant's name (the layout preview shows the part before the
    first " · "), then how long and from when: "bob · 31 min 36 s · from 14:05:09 UTC".
    """
    return [(r.telnyx_id, source_label(r)) for r in session_video_recordings(session_id=session_id)]


def source_label(recording: Recording) -> str:
    who = recording.participant_context or f"unnamed participant {recording.participant_id[:8]}"
    parts = [who, display.duration(recording.duration_secs)]
    if recording.started_at:
        parts.append(f"from {display.clock(recording.started_at)}")
    return " · ".join(parts)


@dataclass(frozen=True)
class CompositionPlace:
    """Where a composition comes from, in names: its room, its session's start, and the names of
    the recordings its layout shows."""

    room_name: str
    session_started_at: datetime | None
    source_names: dict[str, str]


def composition_place(composition: Composition) -> CompositionPlace:
    """Names for a composition's room, session and sources, from the local recordings (no API call)."""
    recordings = list(
        Recording.objects.filter(session_id=composition.session_id).only(
            "telnyx_id", "room_name", "participant_context", "participant_id", "started_at"
        )
    )
    room_name = next((r.room_name for r in recordings if r.room_name), "")
    starts = [r.started_at for r in recordings if r.started_at]
    return CompositionPlace(
        room_name=room_name,
        session_started_at=min(starts) if starts else None,
        source_names={
            r.telnyx_id: r.participant_context or f"unnamed {r.participant_id[:8]}" for r in recordings
        },
    )


def ensure_session_ended(*, session_id: str) -> None:
    """Refuse a session that is still live: Telnyx composes ended sessions only."""
    with telnyx_call("look up the session"):
        session = get_client().get_session(session_id)
    if session.active:
        raise Refused(
            "This session is still live; a composition can be made once it has ended.",
            field_errors=[("session_id", "The session is still live.")],
        )


def create_composition(
    *, user: Any, session_id: str, resolution: str, video_layout: dict[str, dict[str, Any]] | None
) -> Composition:
    """Ask Telnyx for a composition of an ended session, store it, audit it; the poll sweep checks
    it from ``poll_interval(0)`` on."""
    ensure_session_ended(session_id=session_id)
    target: dict[str, Any] = {"resolution": resolution, "video_layout": video_layout}
    with audited(
        user=user, action=AuditEntry.Action.COMPOSITION_CREATE, session_id=session_id, target=target
    ) as outcome:
        with telnyx_call("create the composition"):
            remote = get_client().create_composition(
                session_id=session_id, format="mp4", resolution=resolution, video_layout=video_layout
            )
        target["composition_id"] = remote.id
        outcome.message = f"Composition {remote.id} requested ({resolution})."
        # The room by name too, as the recordings know it, so the audit log reads as a name.
        room_name = (
            Recording.objects.filter(session_id=session_id, room_name__gt="")
            .values_list("room_name", flat=True)
            .first()
        )
        outcome.where = {"room_id": remote.room_id or "", "room_name": room_name or ""}
    with transaction.atomic():
        upsert_compositions([remote])
        composition = Composition.objects.get(telnyx_id=remote.id)
        composition.requested_by = user if getattr(user, "is_authenticated", False) else None
        composition.poll_deadline_at = timezone.now() + timedelta(seconds=settings.COMPOSITION_DEADLINE_SECS)
        composition.next_poll_at = timezone.now() + timedelta(seconds=poll_interval(0))
        composition.save(update_fields=["requested_by", "poll_deadline_at", "next_poll_at"])
    return composition
