"""Events make automatic compositions: a signed "recording completed" that finishes a session, and
its "session ended", compose the session under a rule once, however often the events arrive."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from governance.models import AutoComposition, AutoCompositionRule
from recordings.models import Composition, Recording
from recordings.services.sync import sync_recordings
from tests.fixtures.celery_worker import wait_for
from webhooks.models import WebhookEvent

from .conftest import event

pytestmark = pytest.mark.django_db(transaction=True)

COMPOSE_TASK = "governance.tasks.auto_compose_session"


def _finished(worker) -> int:  # type: ignore[no-untyped-def]
    return sum(1 for line in list(worker.output) if COMPOSE_TASK in line and "succeeded" in line)


def test_a_rule_composes_a_session_once_when_its_events_arrive_twice(
    telnyx_sandbox, celery_worker, post_signed
) -> None:  # type: ignore[no-untyped-def]
    telnyx_sandbox.seed(rooms=1, sessions_per_room=1, participants_per_session=2)
    sync_recordings()
    last = Recording.objects.filter(type=Recording.Type.VIDEO).order_by("telnyx_id").first()
    assert last is not None
    room_id, session_id = last.room_id, last.session_id
    # Still processing here: the session is not ready until its "recording completed" arrives.
    Recording.objects.filter(pk=last.pk).update(status=Recording.Status.PROCESSING)
    # Made after the sync (which would have queued a sweep), dated before the session ended.
    rule = AutoCompositionRule.objects.create(room_id=room_id, resolution="640x360")
    AutoCompositionRule.objects.filter(pk=rule.pk).update(created_at=timezone.now() - timedelta(days=30))
    telnyx_sandbox.clear_request_counts()
    before = _finished(celery_worker)

    ended = event("video.room.session.ended", room_id=room_id, session_id=session_id)
    completed = event(
        "video.room.recording.completed",
        room_id=room_id,
        session_id=session_id,
        recording_id=last.telnyx_id,
        participant_id=last.participant_id,
        type="video",
    )
    # Each delivered twice (Telnyx retries), and the session's end once more under a new event id.
    bodies = [completed, ended, completed, ended]
    bodies.append(event("video.room.session.ended", room_id=room_id, session_id=session_id))
    for body in bodies:
        assert post_signed(body).status_code == 200

    stored = WebhookEvent.objects.filter(session_id=session_id)
    assert wait_for(lambda: stored.count() == 3 and not stored.filter(applied_at__isnull=True).exists(), 30)
    # Every event that was applied queued a check of the session; wait until all three have run.
    assert wait_for(lambda: _finished(celery_worker) - before >= 3, 30), "".join(celery_worker.output[-40:])

    claims = AutoComposition.objects.filter(rule=rule)
    assert list(claims.values_list("session_id", "state")) == [(session_id, AutoComposition.State.REQUESTED)]
    assert telnyx_sandbox.request_count("POST /room_compositions") == 1
    assert Composition.objects.filter(session_id=session_id).count() == 1
    assert Recording.objects.get(pk=last.pk).status == Recording.Status.COMPLETED
