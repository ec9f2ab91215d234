"""The Celery app. Its configuration is Django's settings under the ``CELERY_`` prefix."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

app = Celery("dashboard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def _report_in(sender, **kwargs):  # type: ignore[no-untyped-def]
    """A new worker shows on the overview at once, not after the first beat interval."""
    app.send_task("dashboard.tasks.record_heartbeat")
