"""Celery tasks: each takes ids and its body is one call of a ``recordings.services`` function.

Every task is ``acks_late`` (a worker killed midway leaves the message to be redelivered; the
services are idempotent upserts). ``retried_when_temporary`` writes the retry rule down once:
a temporary error (``UserError.temporary``: Telnyx's 429, 5xx, timeouts, lost connections) is
retried with exponential backoff, or after Telnyx's ``Retry-After``, with a countdown never above
``CELERY_TASK_MAX_RETRY_COUNTDOWN`` (kept below the broker's visibility timeout); a permanent one
(any other 4xx, a refused key) has been recorded on the model by the service and ends the task.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec

from celery import Task, shared_task
from django.conf import settings

from dashboard.errors import UserError
from recordings.models import Composition, Recording
from recordings.services import archive, composition_polls, sync, totals

MAX_RETRIES = 8

P = ParamSpec("P")


def backoff(retries: int, hint: float | None = None) -> float:
    """Exponential backoff with jitter (or Telnyx's Retry-After), capped by the setting."""
    base = hint if hint else min(5 * 2**retries, 600) * (0.5 + random.random() / 2)  # noqa: S311
    return float(min(base, settings.CELERY_TASK_MAX_RETRY_COUNTDOWN))


def retried_when_temporary(
    body: Callable[Concatenate[Task, P], None],
) -> Callable[Concatenate[Task, P], None]:
    """Retry the task on a temporary ``UserError``; let a permanent one end it."""

    @wraps(body)
    def run(task: Task, *args: P.args, **kwargs: P.kwargs) -> None:
        try:
            body(task, *args, **kwargs)
        except UserError as exc:
            if not exc.temporary:
                raise
            countdown = backoff(task.request.retries, getattr(exc, "retry_after", None))
            raise task.retry(exc=exc, countdown=countdown, max_retries=MAX_RETRIES) from exc

    return run


@shared_task(name="recordings.tasks.sync_recordings_task", bind=True, acks_late=True, ignore_result=True)
@retried_when_temporary
def sync_recordings_task(self: Task, full: bool = False) -> None:
    """The periodic sync (beat every RECORDINGS_SYNC_INTERVAL_SECS; full once a day)."""
    sync.scheduled_sync(full=full)


@shared_task(name="recordings.tasks.poll_compositions", acks_late=True, ignore_result=True)
def poll_compositions() -> None:
    """The composition poll sweep (beat every COMPOSITION_POLL_SECS); errors are handled inside it,
    on the rows, so the next sweep is the retry."""
    composition_polls.poll_compositions()


@shared_task(name="recordings.tasks.poll_composition", acks_late=True, ignore_result=True)
def poll_composition(*args: object) -> None:
    """A poll queued by the previous poller (one task chain per composition) before an upgrade:
    runs the sweep, which checks that composition when it is due."""
    composition_polls.poll_compositions()


@shared_task(name="recordings.tasks.poll_compositions_sweep", acks_late=True, ignore_result=True)
def poll_compositions_sweep() -> None:
    """The previous poller's lost-poll sweep, as queued before an upgrade: runs the sweep."""
    composition_polls.poll_compositions()


@shared_task(name="recordings.tasks.archive_recording", bind=True, acks_late=True, ignore_result=True)
@retried_when_temporary
def archive_recording(self: Task, recording_pk: int) -> None:
    archive.archive(model=Recording, pk=recording_pk)


@shared_task(name="recordings.tasks.archive_composition", bind=True, acks_late=True, ignore_result=True)
@retried_when_temporary
def archive_composition(self: Task, composition_pk: int) -> None:
    archive.archive(model=Composition, pk=composition_pk)


@shared_task(name="recordings.tasks.refresh_totals", acks_late=True, ignore_result=True)
def refresh_totals() -> None:
    """Fold what the sync's writes appended to the kept figures (costs what changed, not the table)."""
    totals.refresh_totals()


@shared_task(name="recordings.tasks.recount_totals", acks_late=True, ignore_result=True)
def recount_totals() -> None:
    """Once a day: add the whole table up again, repairing figures a restore or hand edit left wrong."""
    totals.recount_totals()
