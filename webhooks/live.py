"""Live state of sessions from events: what the console can read without asking Telnyx.

Each fact keeps the event time (``occurred_at``) it was reported at, and an update only ever moves a
time forward (a conditional UPDATE, safe with concurrent workers), so duplicated or reordered
events end in the same state: a participant's ``left`` that arrives before its ``joined`` still
ends as left, and an older ``session.ended`` never reopens a session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from webhooks.models import LiveParticipant, LiveSession


@dataclass(frozen=True, slots=True)
class ParticipantState:
    participant_id: str
    context: str
    joined_at: datetime | None
    left_at: datetime | None
    left_reason: str
    present: bool


@dataclass(frozen=True, slots=True)
class SessionState:
    """A session as events told it; ``last_event_at`` says how fresh that is."""

    session_id: str
    room_id: str
    started_at: datetime | None
    ended_at: datetime | None
    ended_reason: str
    last_event_at: datetime | None
    participants: list[ParticipantState]

    @property
    def active(self) -> bool:
        return self.ended_at is None

    @property
    def present(self) -> list[ParticipantState]:
        return [p for p in self.participants if p.present]


def session_state(session_id: str) -> SessionState | None:
    """What events said about ``session_id`` (``None``: no event about it yet). Two queries.

    Once the session has ended nobody is present, whatever the last join or leave said.
    """
    session = LiveSession.objects.filter(session_id=session_id).first()
    if session is None:
        return None
    participants = [
        ParticipantState(
            participant_id=p.participant_id,
            context=p.context,
            joined_at=p.joined_at,
            left_at=p.left_at,
            left_reason=p.left_reason,
            present=p.present and session.active,
        )
        for p in session.participants.all()
    ]
    return SessionState(
        session_id=session.session_id,
        room_id=session.room_id,
        started_at=session.started_at,
        ended_at=session.ended_at,
        ended_reason=session.ended_reason,
        last_event_at=session.last_event_at,
        participants=participants,
    )


def _session(*, session_id: str, room_id: str, at: datetime) -> LiveSession:
    session, _ = LiveSession.objects.get_or_create(session_id=session_id, defaults={"room_id": room_id})
    LiveSession.objects.filter(pk=session.pk).filter(
        Q(last_event_at__isnull=True) | Q(last_event_at__lt=at)
    ).update(last_event_at=at)
    if room_id and not session.room_id:
        LiveSession.objects.filter(pk=session.pk, room_id="").update(room_id=room_id)
    return session


def session_started(*, session_id: str, room_id: str, at: datetime) -> None:
    session = _session(session_id=session_id, room_id=room_id, at=at)
    LiveSession.objects.filter(pk=session.pk).filter(
        Q(started_at__isnull=True) | Q(started_at__gt=at)
    ).update(started_at=at)


def session_ended(*, session_id: str, room_id: str, at: datetime, reason: str) -> None:
    session = _session(session_id=session_id, room_id=room_id, at=at)
    LiveSession.objects.filter(pk=session.pk).filter(Q(ended_at__isnull=True) | Q(ended_at__lt=at)).update(
        ended_at=at, ended_reason=reason
    )


def _participant(*, session_id: str, room_id: str, participant_id: str, at: datetime) -> LiveParticipant:
    session = _session(session_id=session_id, room_id=room_id, at=at)
    participant, _ = LiveParticipant.objects.get_or_create(
        participant_id=participant_id, defaults={"session": session}
    )
    return participant


def participant_joined(
    *, session_id: str, room_id: str, participant_id: str, context: str, at: datetime
) -> None:
    participant = _participant(session_id=session_id, room_id=room_id, participant_id=participant_id, at=at)
    LiveParticipant.objects.filter(pk=participant.pk).filter(
        Q(joined_at__isnull=True) | Q(joined_at__lt=at)
    ).update(joined_at=at, context=context[:255])


def participant_left(
    *, session_id: str, room_id: str, participant_id: str, context: str, reason: str, at: datetime
) -> None:
    participant = _participant(session_id=session_id, room_id=room_id, participant_id=participant_id, at=at)
    LiveParticipant.objects.filter(pk=participant.pk).filter(
        Q(left_at__isnull=True) | Q(left_at__lt=at)
    ).update(left_at=at, left_reason=reason[:64])
    if context:
        LiveParticipant.objects.filter(pk=participant.pk, context="").update(context=context[:255])
