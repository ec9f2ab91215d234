from __future__ import annotations

import socket

from celery import shared_task
from django.db.models import F
from django.utils import timezone

from dashboard.models import WorkerHeartbeat


@shared_task(name="dashboard.tasks.record_heartbeat", acks_late=True, ignore_result=True)
def record_heartbeat(hostname: str | None = None) -> None:
    """Note that a worker consumed a task just now; the overview and /healthz show it."""
    name = hostname or socket.gethostname()
    updated = WorkerHeartbeat.objects.filter(hostname=name).update(
        last_seen=timezone.now(), beats=F("beats") + 1
    )
    if not updated:
        WorkerHeartbeat.objects.update_or_create(
            hostname=name, defaults={"last_seen": timezone.now(), "beats": 1}
        )
