"""Automatic compositions: per room, "when a session ends and all its recordings are completed,
compose it with preset P".

Exactly one composition per session per rule, however often the trigger fires: the (rule, session)
row is claimed under a unique constraint before Telnyx is asked; a second trigger finds the claim
and does nothing. A rule composes sessions that ended after it was made, not the room's history.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q

from dashboard.errors import Refused, UserError
from governance.models import AutoComposition, AutoCompositionRule
from recordings import layouts
from recordings.models import Recording
from recordings.services.compositions import create_composition, ensure_session_ended

logger = logging.getLogger(__name__)

#: The presets a rule may use: (value, label). Grid is the one layout that needs no chosen sources.
RESOLUTIONS = [
    ("1280x720", "1280×720 (720p)"),
    ("960x540", "960×540"),
    ("640x360", "640×360 (360p)"),
    ("720x720", "720×720 (square)"),
]
LAYOUTS = [("grid", "Grid of all video recordings")]


def ready_sessions(rule: AutoCompositionRule, *, session_ids: Sequence[str] | None = None) -> list[str]:
    """Sessions of the rule's room whose recordings are all completed (at least one video), that
    ended after the rule was made and that the rule has not claimed yet."""
    recordings = Recording.objects.filter(room_id=rule.room_id, gone_upstream=False).exclude(session_id="")
    if session_ids is not None:
        recordings = recordings.filter(session_id__in=list(session_ids))
    sessions = (
        recordings.values("session_id")
        .annotate(
            total=Count("id"),
            pending=Count("id", filter=~Q(status=Recording.Status.COMPLETED)),
            videos=Count("id", filter=Q(type=Recording.Type.VIDEO)),
            last_end=Max("ended_at"),
        )
        .filter(pending=0, videos__gt=0, last_end__gte=rule.created_at)
        .exclude(session_id__in=AutoComposition.objects.filter(rule=rule).values("session_id"))
        .order_by("last_end")
    )
    return [row["session_id"] for row in sessions]


def compose_session(*, rule: AutoCompositionRule, session_id: str) -> AutoComposition | None:
    """Claim the session for the rule and ask Telnyx for its composition; None when another trigger
    claimed it first or the session is still live (it is looked at again by the next trigger)."""
    if AutoComposition.objects.filter(rule=rule, session_id=session_id).exists():
        return None
    try:
        ensure_session_ended(session_id=session_id)
    except Refused:
        return None
    try:
        with transaction.atomic():
            claim = AutoComposition.objects.create(rule=rule, session_id=session_id)
    except IntegrityError:
        return None
    width, height = (int(x) for x in rule.resolution.split("x"))
    try:
        composition = create_composition(
            user=None,
            session_id=session_id,
            resolution=rule.resolution,
            video_layout=layouts.grid(width=width, height=height),
        )
    except UserError as exc:
        claim.state = AutoComposition.State.FAILED
        claim.error = exc.message
        claim.save(update_fields=["state", "error"])
        logger.warning("automatic composition of %s failed: %s", session_id, exc.message)
        return claim
    claim.state = AutoComposition.State.REQUESTED
    claim.composition_id = composition.telnyx_id
    claim.save(update_fields=["state", "composition_id"])
    return claim


def compose_ready_sessions(*, session_ids: Sequence[str] | None = None) -> int:
    """Compose every ready session of every enabled rule (or only these sessions); returns how many
    compositions were requested."""
    requested = 0
    for rule in AutoCompositionRule.objects.filter(enabled=True):
        for session_id in ready_sessions(rule, session_ids=session_ids):
            claim = compose_session(rule=rule, session_id=session_id)
            if claim is not None and claim.state == AutoComposition.State.REQUESTED:
                requested += 1
    return requested


def add_rule(*, user: Any, room_id: str, room_name: str, resolution: str, layout: str) -> AutoCompositionRule:
    if resolution not in dict(RESOLUTIONS) or layout not in dict(LAYOUTS):
        raise Refused("Choose one of the presets.", field_errors=[("resolution", "Choose a preset.")])
    return AutoCompositionRule.objects.create(
        room_id=room_id,
        room_name=room_name,
        resolution=resolution,
        layout=layout,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
