"""A task really runs through a worker process on the configured broker (not eager mode)."""

import socket

import pytest
from django.conf import settings

from dashboard.models import WorkerHeartbeat
from dashboard.tasks import record_heartbeat
from tests.fixtures.celery_worker import wait_for


def test_tasks_are_not_eager():
    assert settings.CELERY_TASK_ALWAYS_EAGER is False


def test_acks_late_and_visibility_timeout_cover_the_longest_retry():
    from dashboard.celery import app

    assert app.conf.task_acks_late is True
    assert app.conf.broker_transport_options["visibility_timeout"] > settings.CELERY_TASK_MAX_RETRY_COUNTDOWN


def test_periodic_tasks_come_from_settings():
    from dashboard.celery import app

    assert app.conf.beat_schedule == settings.CELERY_BEAT_SCHEDULE
    assert "worker-heartbeat" in app.conf.beat_schedule


@pytest.mark.django_db(transaction=True)
def test_a_queued_task_runs_in_a_real_worker(celery_worker):
    marker = f"worker-test-{socket.gethostname()}"
    record_heartbeat.delay(marker)
    assert wait_for(lambda: WorkerHeartbeat.objects.filter(hostname=marker).exists(), timeout=30), "".join(
        celery_worker.output[-30:]
    )
    assert "dashboard.tasks.record_heartbeat" in "".join(celery_worker.output)
    record_heartbeat.delay(marker)
    assert wait_for(lambda: WorkerHeartbeat.objects.get(hostname=marker).beats == 2, timeout=30)
