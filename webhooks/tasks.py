"""Celery tasks of the webhooks app: thin, idempotent, queued by name."""

from __future__ import annotations

from celery import Task, shared_task
from django.db import DatabaseError

from webhooks import applying

#: Retries of a task whose database was busy or away: 1, 2, 4, 8, 16 s (far below the visibility timeout).
MAX_RETRIES = 5


@shared_task(name="webhooks.tasks.apply_event", bind=True, acks_late=True, ignore_result=True)
def apply_event(self: Task, event_pk: int) -> None:
    """Apply one stored event (a no-op when it is applied already or was deleted), then others
    still waiting (``applying.apply_waiting``)."""
    try:
        applying.apply_event(pk=event_pk)
        applying.apply_waiting()
    except DatabaseError as exc:
        if self.request.retries >= MAX_RETRIES:
            raise  # left unapplied: the sweep requeues it
        raise self.retry(exc=exc, countdown=2**self.request.retries, max_retries=MAX_RETRIES) from exc


@shared_task(name="webhooks.tasks.apply_pending_events", acks_late=True, ignore_result=True)
def apply_pending_events() -> None:
    """Requeue stored events whose apply task was lost."""
    applying.requeue_pending()


@shared_task(name="webhooks.tasks.delete_old_events", acks_late=True, ignore_result=True)
def delete_old_events() -> None:
    """Delete events older than WEBHOOK_EVENTS_KEEP_DAYS."""
    applying.delete_old_events()
