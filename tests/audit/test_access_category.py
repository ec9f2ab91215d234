"""Downloads and plays are access, kept apart from changes; a player's many requests are one play."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from audit.services import record_access, record_action

pytestmark = pytest.mark.django_db


def _play(user, recording_id="rec-1"):  # type: ignore[no-untyped-def]
    return record_access(
        user=user,
        action=AuditEntry.Action.RECORDING_PLAY,
        target_key="recording_id",
        target_id=recording_id,
        succeeded=True,
    )


def test_a_play_within_the_window_is_one_access(admin_user, viewer_user):  # type: ignore[no-untyped-def]
    assert _play(viewer_user) is not None
    assert _play(viewer_user) is None  # the player asked again: same play
    assert _play(viewer_user, "rec-2") is not None  # another file
    assert _play(admin_user) is not None  # another person
    AuditEntry.objects.update(created_at="2000-01-01T00:00:00Z")
    assert _play(viewer_user) is not None  # later: a new play
    assert AuditEntry.objects.count() == 4


def test_the_audit_page_filters_changes_and_access(admin_client, admin_user):  # type: ignore[no-untyped-def]
    _play(admin_user)
    record_action(
        user=admin_user, action=AuditEntry.Action.ROOM_CREATE, succeeded=True, room_id="r", room_name="Lobby"
    )
    record_action(user=admin_user, action=AuditEntry.Action.MUTE, succeeded=True, room_id="r")
    changes = admin_client.get(reverse("audit:list"), {"category": "change"}).context["page"].object_list
    access = admin_client.get(reverse("audit:list"), {"category": "access"}).context["page"].object_list
    assert {e.action for e in changes} == {"room.create", "session.mute"}
    assert {e.action for e in access} == {"recording.play"}
    # The mute was written without the room's name; the page names it from the entry that knew it.
    rows = admin_client.get(reverse("audit:list")).context["rows"]
    assert {name for entry, name in rows if entry.room_id == "r"} == {"Lobby"}
    bad = admin_client.get(reverse("audit:list"), {"category": "everything"})
    assert bad.status_code == 200 and len(bad.context["page"].object_list) == 3
