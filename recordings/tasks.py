"""Celery tasks: thin wrappers that take ids and call ``recordings.services``.

Every task is ``acks_late`` (a worker killed midway leaves the message to be redelivered; the
services are idempotent upserts), retries temporary Telnyx errors (429, 5xx, timeouts: the
client's ``retryable``) with exponential backoff whose countdown never exceeds
``CELERY_TASK_MAX_RETRY_COUNTDOWN`` (kept below the broker's visibility timeout), and lets
permanent errors end the task after the service has recorded them on the model.
"""

from __future__ import annotations

import logging
import random

from celery import shared_task
from django.conf import settings

from dashboard.telnyx import TelnyxError
from recordings import services
from recordings.models import Composition, Recording

logger = logging.getLogger(__name__)

MAX_RETRIES = 8


def _backoff(retries: int, hint: float | None = None) -> float:
    """Exponential backoff with jitter (or Telnyx's Retry-After), capped by the setting."""
    base = hint if hint else min(5 * 2**retries, 600) * (0.5 + random.random() / 2)  # noqa: S311
    return float(min(base, settings.CELERY_TASK_MAX_RETRY_COUNTDOWN))


def _retry_or_raise(task, exc: TelnyxError):  # type: ignore[no-untyped-def]
    if not exc.retryable:
        raise exc
    countdown = _backoff(task.request.retries, getattr(exc, "retry_after", None))
    raise task.retry(exc=exc, countdown=countdown, max_retries=MAX_RETRIES)


@shared_task(name="recordings.tasks.sync_recordings_task", bind=True, acks_late=True, ignore_result=True)
def sync_recordings_task(self, full: bool = False) -> None:  # type: ignore[no-untyped-def]
    """The periodic sync (beat every RECORDINGS_SYNC_INTERVAL_SECS; full once a day)."""
    try:
        services.sync_recordings(full=full)
    except services.SyncAlreadyRunning:
        logger.info("a full recordings sync is already running; skipped")
        return
    except TelnyxError as exc:
        _retry_or_raise(self, exc)
    services.queue_archive_tasks()


@shared_task(name="recordings.tasks.poll_composition", bind=True, acks_late=True, ignore_result=True)
def poll_composition(self, composition_pk: int) -> None:  # type: ignore[no-untyped-def]
    """Poll one composition; queue the next poll after a growing interval until it is final."""
    try:
        delay = services.poll_composition(composition_pk)
    except TelnyxError as exc:
        _retry_or_raise(self, exc)
        return
    if delay is not None:
        poll_composition.apply_async((composition_pk,), countdown=delay)


@shared_task(name="recordings.tasks.poll_compositions_sweep", acks_late=True, ignore_result=True)
def poll_compositions_sweep() -> None:
    """Requeue polls that were lost (worker restarted, broker flushed) for compositions in flight."""
    for pk in services.compositions_due_for_polling():
        poll_composition.delay(pk)


def _archive(task, model: type[Recording] | type[Composition], pk: int) -> None:  # type: ignore[no-untyped-def]
    record = model.objects.filter(pk=pk).first()
    if record is None:
        return
    try:
        services.archive_file(record)
    except TelnyxError as exc:
        if exc.retryable:
            _retry_or_raise(task, exc)
        model.objects.filter(pk=pk).update(archive_error=exc.message)


@shared_task(name="recordings.tasks.archive_recording", bind=True, acks_late=True, ignore_result=True)
def archive_recording(self, recording_pk: int) -> None:  # type: ignore[no-untyped-def]
    _archive(self, Recording, recording_pk)


@shared_task(name="recordings.tasks.archive_composition", bind=True, acks_late=True, ignore_result=True)
def archive_composition(self, composition_pk: int) -> None:  # type: ignore[no-untyped-def]
    _archive(self, Composition, composition_pk)
