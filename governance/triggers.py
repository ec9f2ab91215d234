"""What other apps call when something may make a session ready for an automatic composition.

Light on purpose (models and the task queue only): the sync calls ``after_sync()`` and the webhooks
code may call ``session_may_be_ready(session_id)`` on ``session ended`` / ``recording completed``.
Both only queue work (by task name, once the transaction commits) when a rule is enabled; firing
twice is harmless (``governance.autocompose`` claims each session once per rule).
"""

from __future__ import annotations

from dashboard.celery import enqueue
from governance.models import AutoCompositionRule


def _any_rule() -> bool:
    return AutoCompositionRule.objects.filter(enabled=True).exists()


def after_sync() -> None:
    """Queue a sweep of every room with a rule (the sync just brought new recordings)."""
    if _any_rule():
        enqueue("governance.tasks.auto_compose_sweep")


def session_may_be_ready(session_id: str) -> None:
    """Queue a check of one session (a webhook said it ended or one of its recordings completed)."""
    if session_id and _any_rule():
        enqueue("governance.tasks.auto_compose_session", session_id)
