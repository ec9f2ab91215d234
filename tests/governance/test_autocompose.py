"""Automatic compositions: a rule composes each ended session of its room exactly once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dashboard.telnyx import get_client
from governance.autocompose import compose_ready_sessions, compose_session, ready_sessions
from governance.models import AutoComposition, AutoCompositionRule
from recordings.models import Composition, Recording
from recordings.services.sync import sync_recordings

pytestmark = pytest.mark.django_db


@pytest.fixture
def synced(telnyx_sandbox):  # type: ignore[no-untyped-def]
    telnyx_sandbox.seed(rooms=2, sessions_per_room=3, participants_per_session=2)
    sync_recordings()
    return telnyx_sandbox


def _rule(room_id: str, *, days_ago: int = 60) -> AutoCompositionRule:
    rule = AutoCompositionRule.objects.create(room_id=room_id, resolution="640x360")
    AutoCompositionRule.objects.filter(pk=rule.pk).update(
        created_at=timezone.now() - timedelta(days=days_ago)
    )
    rule.refresh_from_db()
    return rule


def test_a_rule_composes_each_session_once_however_often_it_fires(synced) -> None:  # type: ignore[no-untyped-def]
    room_id = Recording.objects.order_by("room_id").values_list("room_id", flat=True).first()
    rule = _rule(room_id)
    sessions = set(Recording.objects.filter(room_id=room_id).values_list("session_id", flat=True))
    assert len(sessions) == 3
    synced.clear_request_counts()
    assert compose_ready_sessions() == 3
    for _ in range(3):  # the sync, a webhook and the sweep firing again
        assert compose_ready_sessions() == 0
        for session_id in sessions:
            assert compose_session(rule=rule, session_id=session_id) is None
    assert synced.request_count("POST /room_compositions") == 3
    remote = list(get_client().iter_compositions())
    assert sorted(c.session_id for c in remote) == sorted(sessions)
    claims = AutoComposition.objects.filter(rule=rule)
    assert {c.session_id for c in claims} == sessions
    assert all(c.state == "requested" and c.composition_id for c in claims)
    assert Composition.objects.filter(session_id__in=sessions).count() == 3
    other_room = Recording.objects.exclude(room_id=room_id).values_list("session_id", flat=True)
    assert not Composition.objects.filter(session_id__in=list(other_room)).exists()


def test_a_claim_taken_first_stops_the_call_to_telnyx(synced) -> None:  # type: ignore[no-untyped-def]
    room_id = Recording.objects.order_by("room_id").values_list("room_id", flat=True).first()
    rule = _rule(room_id)
    session_id = ready_sessions(rule)[0]
    AutoComposition.objects.create(rule=rule, session_id=session_id)  # another worker won the race
    synced.clear_request_counts()
    assert compose_session(rule=rule, session_id=session_id) is None
    assert synced.request_count("POST /room_compositions") == 0


def test_sessions_not_all_completed_or_older_than_the_rule_wait(synced) -> None:  # type: ignore[no-untyped-def]
    room_id = Recording.objects.order_by("room_id").values_list("room_id", flat=True).first()
    assert ready_sessions(_rule(room_id, days_ago=-1)) == []  # made after every session ended
    rule = _rule(room_id)
    pending = Recording.objects.filter(room_id=room_id).order_by("telnyx_id").first()
    Recording.objects.filter(pk=pending.pk).update(status=Recording.Status.PROCESSING)
    assert pending.session_id not in ready_sessions(rule)
    assert len(ready_sessions(rule)) == 2
