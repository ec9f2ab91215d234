"""Pointing rooms at this dashboard: every room without a webhook URL gets the receiver's URL
(``DASHBOARD_PUBLIC_URL`` + the receiver's path). A preview lists the rooms first; applying
re-reads the rooms and patches only those that still have none (one set meanwhile is left alone),
each change audited on its own."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.urls import reverse

from audit.models import AuditEntry
from audit.services import audited
from dashboard.errors import Refused, UserError, telnyx_call
from dashboard.telnyx import Room, get_client


def receiver_url() -> str:
    """The URL Telnyx should post events to, or "" when ``DASHBOARD_PUBLIC_URL`` is not set."""
    base = settings.DASHBOARD_PUBLIC_URL
    return base + reverse("webhooks:receive") if base else ""


def rooms_without_url() -> list[Room]:
    """Every room whose ``webhook_event_url`` is empty (walks all rooms)."""
    with telnyx_call("list the rooms"):
        return [room for room in get_client().iter_rooms() if not room.webhook_event_url]


@dataclass(slots=True)
class PointResult:
    updated: list[Room] = field(default_factory=list)
    failed: list[tuple[Room, str]] = field(default_factory=list)
    skipped: int = 0  # previewed but given a URL meanwhile, or gone


def point_rooms_here(
    *, user: AbstractBaseUser | AnonymousUser | None, room_ids: Sequence[str] | None = None
) -> PointResult:
    """Set the receiver URL on the rooms of ``room_ids`` (all rooms when ``None``) that still have no
    webhook URL; one audited PATCH each. A refusal is recorded and the rest go on."""
    url = receiver_url()
    if not url:
        raise Refused("Set DASHBOARD_PUBLIC_URL first: it is the address Telnyx reaches this dashboard at.")
    lacking = rooms_without_url()
    wanted = set(room_ids) if room_ids is not None else None
    result = PointResult(skipped=len(wanted - {r.id for r in lacking}) if wanted is not None else 0)
    client = get_client()
    for room in lacking:
        if wanted is not None and room.id not in wanted:
            continue
        name = room.unique_name or ""
        try:
            with (
                audited(
                    user=user,
                    action=AuditEntry.Action.ROOM_UPDATE,
                    room_id=room.id,
                    room_name=name,
                    target={"fields": {"webhook_event_url": url}},
                ) as outcome,
                telnyx_call("set the room's webhook URL"),
            ):
                result.updated.append(client.update_room(room.id, webhook_event_url=url))
                outcome.message = f"Telnyx saved room {name or room.id}: events go to this dashboard."
        except UserError as exc:
            result.failed.append((room, exc.message))
    return result
