"""The Celery app (configured from Django's settings under the ``CELERY_`` prefix) and ``enqueue``."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import worker_ready
from django.db import transaction

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

app = Celery("dashboard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def _report_in(sender: object, **kwargs: object) -> None:
    """A new worker shows on the overview at once, not after the first beat interval."""
    app.send_task("dashboard.tasks.record_heartbeat")


def enqueue(task_name: str, *args: Any, countdown: float | None = None, **kwargs: Any) -> None:
    """Queue the task named ``task_name`` once the current transaction commits (at once outside one).

    Services queue work by name so they never import a task module (tasks import services); the
    routes in settings still pick the queue from the name. A worker never sees a row its task needs
    before the row is committed.
    """

    def send() -> None:
        app.send_task(task_name, args=args, kwargs=kwargs, countdown=countdown)

    transaction.on_commit(send)
