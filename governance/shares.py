"""Share links: an expiring, revocable link to one recording, composition or session bundle, for
someone without an account.

The token (32 random bytes, URL-safe) is shown once; only its SHA-256 is stored, so the table never
holds a usable link. A link stops at its expiry or revocation; every use is recorded (time, address,
what) and listed with the link. Making and revoking a link are audited.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from audit.services import record_action
from dashboard.errors import NotFound, Refused
from governance.models import ShareLink, ShareUse
from recordings.models import Composition, Recording

SHARE_CREATE = "share.create"
SHARE_REVOKE = "share.revoke"
SHARE_USE = "share.use"


class LinkUnusable(Refused):
    """The link expired or was revoked."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _username(user: Any) -> str:
    return user.get_username() if getattr(user, "is_authenticated", False) else "system"


def create_link(*, user: Any, kind: str, target_id: str, days: int, note: str = "") -> tuple[ShareLink, str]:
    """Make a link; returns it and its token (shown once, never stored)."""
    if not 1 <= days <= settings.SHARE_LINK_MAX_DAYS:
        raise Refused(
            f"A link lasts 1 to {settings.SHARE_LINK_MAX_DAYS} days.",
            field_errors=[("days", f"At most {settings.SHARE_LINK_MAX_DAYS} days.")],
        )
    room_id, session_id = _target_place(kind, target_id)
    token = secrets.token_urlsafe(32)
    link = ShareLink.objects.create(
        token_hash=token_hash(token),
        kind=kind,
        target_id=target_id,
        note=note.strip(),
        created_by=user if getattr(user, "is_authenticated", False) else None,
        created_by_name=_username(user),
        expires_at=timezone.now() + timedelta(days=days),
    )
    record_action(
        user=user,
        action=SHARE_CREATE,
        succeeded=True,
        message=f"Share link {link.pk} to {kind} {target_id}, expires {link.expires_at:%Y-%m-%d %H:%M}.",
        room_id=room_id,
        session_id=session_id,
        target={"link_id": link.pk, "kind": kind, "target_id": target_id, "days": days, "note": link.note},
    )
    return link, token


def _target_place(kind: str, target_id: str) -> tuple[str, str]:
    """(room id, session id) of what a link would share; NotFound when it is not known here."""
    record: Recording | Composition | None
    if kind == ShareLink.Kind.RECORDING:
        record = Recording.objects.filter(telnyx_id=target_id).first()
    elif kind == ShareLink.Kind.COMPOSITION:
        record = Composition.objects.filter(telnyx_id=target_id).first()
    elif kind == ShareLink.Kind.SESSION:
        record = Recording.objects.filter(session_id=target_id).first()
    else:
        raise Refused("Choose a recording, a composition or a session.")
    if record is None:
        raise NotFound(f"No {kind} {target_id} is known here.")
    return record.room_id, record.session_id


def revoke_link(*, user: Any, link_id: int) -> ShareLink:
    link = ShareLink.objects.filter(pk=link_id).first()
    if link is None:
        raise NotFound(f"No share link {link_id}.")
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.revoked_by_name = _username(user)
        link.save(update_fields=["revoked_at", "revoked_by_name"])
        record_action(
            user=user,
            action=SHARE_REVOKE,
            succeeded=True,
            message=f"Revoked share link {link.pk} to {link.kind} {link.target_id}.",
            target={"link_id": link.pk, "kind": link.kind, "target_id": link.target_id},
        )
    return link


def resolve(token: str) -> ShareLink:
    """The link a token opens: NotFound for an unknown token, LinkUnusable once expired or revoked."""
    link = ShareLink.objects.filter(token_hash=token_hash(token)).first()
    if link is None:
        raise NotFound("This link does not exist.")
    if link.revoked_at is not None:
        raise LinkUnusable("This link was revoked.")
    if not link.usable():
        raise LinkUnusable("This link has expired.")
    return link


def record_use(link: ShareLink, *, address: str | None, what: str) -> None:
    """Keep one use with the link (listed beside it) and in the audit log's access entries."""
    ShareUse.objects.create(link=link, address=address or None, what=what[:120])
    record_action(
        user=None,
        anonymous_name=f"share link {link.pk}",
        action=SHARE_USE,
        succeeded=True,
        message=f"Share link {link.pk} (made by {link.created_by_name}) {what} "
        f"from {address or 'an unknown address'}.",
        session_id=link.target_id if link.kind == ShareLink.Kind.SESSION else "",
        target={"link_id": link.pk, "kind": link.kind, "target_id": link.target_id},
    )


@dataclass
class Shared:
    recordings: list[Recording]
    compositions: list[Composition]


def shared_items(link: ShareLink) -> Shared:
    """What the link opens: one recording, one composition, or a session's recordings and compositions."""
    if link.kind == ShareLink.Kind.RECORDING:
        return Shared(list(Recording.objects.filter(telnyx_id=link.target_id)), [])
    if link.kind == ShareLink.Kind.COMPOSITION:
        return Shared([], list(Composition.objects.filter(telnyx_id=link.target_id)))
    return Shared(
        list(
            Recording.objects.filter(session_id=link.target_id).order_by(
                "participant_id", "type", "started_at"
            )
        ),
        list(Composition.objects.filter(session_id=link.target_id, status=Composition.Status.COMPLETED)),
    )


def shared_record(link: ShareLink, telnyx_id: str) -> Recording | Composition:
    """One file the link opens, by id; NotFound for anything else."""
    items = shared_items(link)
    found: list[Recording | Composition] = [*items.recordings, *items.compositions]
    for record in found:
        if record.telnyx_id == telnyx_id:
            return record
    raise NotFound("This link does not open that file.")


def links_for(*, kind: str = "", target_id: str = "") -> QuerySet[ShareLink]:
    links = ShareLink.objects.prefetch_related("uses")
    if kind and target_id:
        links = links.filter(kind=kind, target_id=target_id)
    return links
