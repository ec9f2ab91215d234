"""Celery tasks of governance: each body is one service call."""

from __future__ import annotations

from celery import shared_task

from governance import autocompose, retention


@shared_task(acks_late=True, ignore_result=True)
def apply_retention_task() -> None:
    try:
        retention.apply_retention()
    except retention.RetentionAlreadyRunning:
        return


@shared_task(acks_late=True, ignore_result=True)
def auto_compose_sweep() -> None:
    autocompose.compose_ready_sessions()


@shared_task(acks_late=True, ignore_result=True)
def auto_compose_session(session_id: str) -> None:
    autocompose.compose_ready_sessions(session_ids=[session_id])
