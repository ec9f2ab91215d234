"""Legal holds: held items survive a single delete and a bulk delete; only an admin releases; audited."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from audit.models import AuditEntry
from dashboard.errors import Refused
from dashboard.telnyx import get_client
from governance.holds import HOLD_ADD, HOLD_RELEASE, add_hold, held_recording_ids, release_hold
from governance.models import LegalHold
from recordings.models import Composition, Recording
from recordings.services.deletion import delete_composition, delete_recording
from recordings.services.sync import sync_recordings

pytestmark = pytest.mark.django_db


@pytest.fixture
def synced(telnyx_sandbox):  # type: ignore[no-untyped-def]
    telnyx_sandbox.seed(rooms=3, sessions_per_room=4, participants_per_session=2, compositions_per_room=1)
    sync_recordings()
    return telnyx_sandbox


def test_single_delete_refuses_a_held_recording_and_composition(admin_user, synced) -> None:  # type: ignore[no-untyped-def]
    recording = Recording.objects.order_by("telnyx_id").first()
    composition = Composition.objects.order_by("telnyx_id").first()
    add_hold(user=admin_user, scope="session", target_id=recording.session_id, reason="dispute")
    add_hold(user=admin_user, scope="room", target_id=composition.room_id, reason="regulator")
    synced.clear_request_counts()
    with pytest.raises(Refused, match="legal hold"):
        delete_recording(user=admin_user, recording=recording)
    with pytest.raises(Refused, match="legal hold"):
        delete_composition(user=admin_user, composition=composition)
    assert synced.request_count("DELETE /room_recordings/{room_recording_id}") == 0
    assert synced.request_count("DELETE /room_compositions/{room_composition_id}") == 0
    assert get_client().get_recording(recording.telnyx_id).id == recording.telnyx_id
    refused = AuditEntry.objects.filter(action=AuditEntry.Action.RECORDING_DELETE, succeeded=False)
    assert "legal hold" in refused.get().message


def test_single_delete_through_the_page_says_why(admin_client, synced) -> None:  # type: ignore[no-untyped-def]
    recording = Recording.objects.order_by("telnyx_id").first()
    call_command("hold", "add", "--recording", recording.telnyx_id, "--reason", "subpoena", stdout=StringIO())
    response = admin_client.post(reverse("recordings:delete", args=[recording.telnyx_id]), follow=True)
    assert "legal hold" in response.content.decode()
    recording.refresh_from_db()
    assert not recording.gone_upstream


def test_bulk_delete_skips_held_items_and_says_how_many(admin_client, synced) -> None:  # type: ignore[no-untyped-def]
    room_id = Recording.objects.order_by("room_id").values_list("room_id", flat=True).first()
    session_id = Recording.objects.filter(room_id=room_id).values_list("session_id", flat=True).first()
    add_hold(user=None, scope="session", target_id=session_id, reason="dispute")
    held = set(Recording.objects.filter(session_id=session_id).values_list("telnyx_id", flat=True))
    assert len(held) == 4
    filters = {"room": room_id}
    preview = admin_client.get(reverse("recordings:bulk_delete"), filters).context["preview"]
    counted = preview.count
    assert counted == 16
    confirm = {"confirm_count": str(counted), "preview_token": preview.token}
    done = admin_client.post(reverse("recordings:bulk_delete"), {**filters, **confirm})
    result = done.context["result"]
    assert (result.deleted, result.skipped_held) == (12, 4)
    assert 'data-skipped-held="4"' in done.content.decode()
    assert {r.id for r in get_client().iter_recordings(room_id=room_id)} == held
    assert not Recording.objects.filter(telnyx_id__in=held, gone_upstream=True).exists()
    assert Recording.objects.filter(room_id=room_id, gone_upstream=True).count() == 12
    assert synced.request_count("DELETE /room_recordings") == 0  # never the filter endpoint with a hold


def test_release_is_for_admins_and_both_are_audited(moderator_user, admin_user, synced) -> None:  # type: ignore[no-untyped-def]
    recording = Recording.objects.order_by("telnyx_id").first()
    hold = add_hold(user=moderator_user, scope="recording", target_id=recording.telnyx_id, reason="HR 7")
    assert held_recording_ids([recording.telnyx_id, "other"]) == {recording.telnyx_id}
    with pytest.raises(Refused):
        release_hold(user=moderator_user, hold_id=hold.pk, is_admin=False)
    assert held_recording_ids([recording.telnyx_id]) == {recording.telnyx_id}
    release_hold(user=admin_user, hold_id=hold.pk, is_admin=True)
    assert held_recording_ids([recording.telnyx_id]) == set()
    added = AuditEntry.objects.get(action=HOLD_ADD)
    assert (added.username, added.target["reason"]) == ("mo-moderator", "HR 7")
    releases = AuditEntry.objects.filter(action=HOLD_RELEASE).order_by("id")
    assert [(e.username, e.succeeded) for e in releases] == [("mo-moderator", False), ("ada-admin", True)]
    delete_recording(user=admin_user, recording=recording)  # released: deletable again
    assert Recording.objects.get(pk=recording.pk).gone_upstream


def test_hold_command_adds_lists_and_releases(synced) -> None:  # type: ignore[no-untyped-def]
    out = StringIO()
    call_command("hold", "add", "--room", "room-x", "--reason", "litigation", stdout=out)
    hold = LegalHold.objects.get()
    assert out.getvalue().startswith(f"hold {hold.pk}: room room-x held")
    out = StringIO()
    call_command("hold", "list", stdout=out)
    assert out.getvalue().split("\t")[:3] == [str(hold.pk), "room", "room-x"]
    call_command("hold", "release", str(hold.pk), stdout=StringIO())
    out = StringIO()
    call_command("hold", "list", stdout=out)
    assert out.getvalue() == ""
