"""Receiving and storing Telnyx events; the secret receiver URL; what the pages show (applying them:
``webhooks.applying``).

The receiver's contract: answer 2xx only once the event is committed (a redelivery of a stored
event is a no-op 200), then apply it in a Celery task queued by name. Applying is idempotent: the
event row is claimed under a lock, and live state only ever moves forward in event time. Refusals
are answered with a 4xx (503 while webhooks are off) and counted by reason for the Webhooks page.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from dashboard.celery import enqueue
from dashboard.errors import NotFound
from webhooks.models import VIDEO_EVENT_TYPES, SecretReceiver, WebhookEvent
from webhooks.signatures import Refusal, verify, verify_key

logger = logging.getLogger("webhooks")

#: reason code -> what the Webhooks page calls it.
REFUSAL_REASONS: dict[str, str] = {
    "off": "Webhooks are off (no public key)",
    "bad_key": "The configured public key is not valid",
    "too_large": "Body too large",
    "missing_signature": "No signature headers",
    "bad_timestamp": "Timestamp not Unix seconds",
    "bad_signature": "Signature does not match",
    "stale": "Timestamp more than 300 s off",
    "not_an_event": "Not a Telnyx event",
}

_COUNTER = "webhooks:refused:{}"
# Ids kept for filtering and linking; anything else (from a secret-URL sender, say) is kept only in the body.
_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_LAST_REFUSAL = "webhooks:last-refusal"


@dataclass(frozen=True, slots=True)
class Receipt:
    event_id: str
    stored: bool  # False: a redelivery of an event already stored

    def as_json(self) -> dict[str, str]:
        return {"status": "stored" if self.stored else "duplicate", "event_id": self.event_id}


# --- receiving ----------------------------------------------------------------------------------------


def webhooks_on() -> bool:
    return bool(settings.TELNYX_WEBHOOK_PUBLIC_KEY)


def check_size(content_length: str | None) -> None:
    """Refuse before reading a body whose declared length is over ``WEBHOOK_MAX_BODY_BYTES``."""
    try:
        declared = int(content_length or 0)
    except ValueError:
        declared = 0
    if declared > settings.WEBHOOK_MAX_BODY_BYTES:
        raise _refused(
            Refusal("too_large", 413, f"Bodies over {settings.WEBHOOK_MAX_BODY_BYTES} bytes are refused.")
        )


def receive_signed(*, body: bytes, timestamp: str, signature: str) -> Receipt:
    """Verify a signed event and store it; raise ``Refusal`` (counted) when it is not accepted."""
    if not webhooks_on():
        raise _refused(Refusal("off", 503, "Webhooks are off: no TELNYX_WEBHOOK_PUBLIC_KEY is set."))
    _check_body_size(body)
    try:
        verify(
            public_key_b64=settings.TELNYX_WEBHOOK_PUBLIC_KEY,
            timestamp=timestamp,
            signature_b64=signature,
            body=body,
            now=time.time(),
        )
    except Refusal as refusal:
        raise _refused(refusal) from None
    return store_event(body=body, accepted_by=WebhookEvent.AcceptedBy.SIGNATURE)


def receive_unsigned(*, token: str, body: bytes) -> Receipt:
    """Store an event that came to the secret URL; ``NotFound`` when ``token`` is not the current one
    (off or rotated: the URL does not exist), ``Refusal`` for a body that is no event."""
    if not secret_token_matches(token):
        raise NotFound("No such webhook URL.")
    _check_body_size(body)
    return store_event(body=body, accepted_by=WebhookEvent.AcceptedBy.SECRET_URL)


def _check_body_size(body: bytes) -> None:
    if len(body) > settings.WEBHOOK_MAX_BODY_BYTES:
        raise _refused(
            Refusal("too_large", 413, f"Bodies over {settings.WEBHOOK_MAX_BODY_BYTES} bytes are refused.")
        )


def store_event(*, body: bytes, accepted_by: str) -> Receipt:
    """Insert the event (unique on its Telnyx id) and queue its application once committed."""
    data = _event_data(body)
    raw_payload = data.get("payload")
    payload: dict[str, Any] = raw_payload if isinstance(raw_payload, dict) else {}
    event_id = str(data["id"])
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                event_id=event_id,
                event_type=str(data["event_type"])[:100],
                room_id=_id(payload.get("room_id")),
                session_id=_id(payload.get("session_id")),
                occurred_at=_instant(data.get("occurred_at")),
                received_at=timezone.now(),
                raw_body=body.decode("utf-8"),
                payload=payload,
                accepted_by=accepted_by,
            )
            enqueue("webhooks.tasks.apply_event", event.pk)
    except IntegrityError:
        if WebhookEvent.objects.filter(event_id=event_id).exists():
            return Receipt(event_id=event_id, stored=False)
        raise
    except Exception:
        # The row is committed before on_commit callbacks run: a broker that refused the task
        # must not turn a stored event into a 500 (Telnyx would resend; the sweep applies it).
        if WebhookEvent.objects.filter(event_id=event_id).exists():
            logger.exception("webhook event %s stored but not queued; the sweep will apply it", event_id)
            return Receipt(event_id=event_id, stored=True)
        raise
    return Receipt(event_id=event_id, stored=True)


def _id(value: Any) -> str:
    text = "" if value is None else str(value)
    return text if _ID.fullmatch(text) else ""


def _event_data(body: bytes) -> dict[str, Any]:
    try:
        envelope = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _refused(Refusal("not_an_event", 400, "The body is not UTF-8 JSON.")) from None
    data = envelope.get("data") if isinstance(envelope, dict) else None
    if not isinstance(data, dict) or not data.get("id") or not data.get("event_type"):
        raise _refused(Refusal("not_an_event", 400, "The body has no data.id and data.event_type."))
    if len(str(data["id"])) > 64:
        raise _refused(Refusal("not_an_event", 400, "data.id is longer than an event id."))
    return data


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError:
        return None
    if parsed is not None and timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _refused(refusal: Refusal) -> Refusal:
    """Count the refusal by reason (best effort: a cache outage never changes the answer)."""
    try:
        key = _COUNTER.format(refusal.reason)
        cache.add(key, 0, timeout=None)
        cache.incr(key)
        cache.set(_LAST_REFUSAL, {"reason": refusal.reason, "at": timezone.now()}, timeout=None)
    except Exception:  # noqa: BLE001
        logger.warning("could not count a webhook refusal (%s)", refusal.reason)
    logger.info("webhook refused: %s", refusal.reason)
    return refusal


def refusal_counts() -> dict[str, int]:
    """reason code -> refusals counted since the cache was last cleared."""
    counts = cache.get_many([_COUNTER.format(reason) for reason in REFUSAL_REASONS])
    return {reason: int(counts.get(_COUNTER.format(reason)) or 0) for reason in REFUSAL_REASONS}


# --- the secret receiver URL --------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def secret_token_matches(token: str) -> bool:
    receiver = SecretReceiver.objects.first()
    return receiver is not None and hmac.compare_digest(receiver.token_sha256, _hash(token))


def turn_on_secret_url(*, username: str) -> str:
    """Make a new secret token (replacing any earlier one, which stops working at once); returns the
    token, which is shown once and never stored."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        SecretReceiver.objects.all().delete()
        SecretReceiver.objects.create(token_sha256=_hash(token), token_hint=token[-4:], created_by=username)
    return token


def turn_off_secret_url() -> None:
    SecretReceiver.objects.all().delete()


# --- reading ------------------------------------------------------------------------------------------


@dataclass(slots=True)
class WebhookStatus:
    """What the Webhooks page shows."""

    key_set: bool
    key_problem: str
    public_url_set: bool
    last_verified_at: datetime | None
    last_event_at: datetime | None
    refusals: list[tuple[str, str, int]]
    last_refusal: dict[str, Any] | None
    secret: SecretReceiver | None
    pending: int
    failed: int
    counts: dict[str, int] = field(default_factory=dict)


def status() -> WebhookStatus:
    key_problem = ""
    if webhooks_on():
        try:
            verify_key(settings.TELNYX_WEBHOOK_PUBLIC_KEY)
        except ValueError as exc:
            key_problem = str(exc)
    counts = refusal_counts()
    times = WebhookEvent.objects.aggregate(last=Max("received_at"))
    verified = WebhookEvent.objects.filter(accepted_by=WebhookEvent.AcceptedBy.SIGNATURE).aggregate(
        last=Max("received_at")
    )
    return WebhookStatus(
        key_set=webhooks_on(),
        key_problem=key_problem,
        public_url_set=bool(settings.DASHBOARD_PUBLIC_URL),
        last_verified_at=verified["last"],
        last_event_at=times["last"],
        refusals=[(reason, label, counts[reason]) for reason, label in REFUSAL_REASONS.items()],
        last_refusal=cache.get(_LAST_REFUSAL),
        secret=SecretReceiver.objects.first(),
        pending=WebhookEvent.objects.filter(applied_at__isnull=True, apply_error="").count(),
        failed=WebhookEvent.objects.filter(applied_at__isnull=True).exclude(apply_error="").count(),
    )


@dataclass(slots=True)
class EventFilters:
    event_type: str = ""
    room: str = ""
    failed: bool = False


def events_for(*, filters: EventFilters) -> QuerySet[WebhookEvent]:
    """Stored events, newest first, narrowed by ``filters`` (the raw body is left unread)."""
    events = WebhookEvent.objects.defer("raw_body", "payload")
    if filters.event_type:
        events = events.filter(event_type=filters.event_type)
    if filters.room:
        events = events.filter(room_id=filters.room)
    if filters.failed:
        events = events.filter(applied_at__isnull=True).exclude(apply_error="")
    return events


def event_types() -> list[str]:
    """The known video event types and any other type that has arrived, for the filter."""
    seen = set(WebhookEvent.objects.order_by().values_list("event_type", flat=True).distinct())
    return sorted(seen | set(VIDEO_EVENT_TYPES))


def event_rooms() -> list[str]:
    return list(
        WebhookEvent.objects.exclude(room_id="")
        .order_by("room_id")
        .values_list("room_id", flat=True)
        .distinct()
    )
