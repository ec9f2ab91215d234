"""Bulk delete: previewed from Telnyx, refused without a filter, deletes exactly what was counted."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from dashboard.telnyx import get_client
from recordings.models import Recording
from recordings.services.sync import sync_recordings

pytestmark = pytest.mark.django_db


@pytest.fixture
def synced(telnyx_sandbox):  # type: ignore[no-untyped-def]
    telnyx_sandbox.seed(rooms=10, sessions_per_room=10, participants_per_session=2)
    sync_recordings()
    return telnyx_sandbox


def test_bulk_delete_refuses_an_empty_filter(admin_client, synced) -> None:  # type: ignore[no-untyped-def]
    synced.clear_request_counts()
    response = admin_client.post(
        reverse("recordings:bulk_delete"), {"confirm_count": "400", "preview_token": "x"}
    )
    assert response.status_code == 400
    assert "at least one filter" in response.content.decode()
    assert synced.request_count("DELETE /room_recordings") == 0
    assert len(list(get_client().iter_recordings())) == 400


def test_bulk_delete_deletes_exactly_what_the_preview_counted(admin_client, synced) -> None:  # type: ignore[no-untyped-def]
    room_id = Recording.objects.values_list("room_id", flat=True).order_by("room_id").first()
    filters = {"room": room_id, "type": "video"}

    preview = admin_client.get(reverse("recordings:bulk_delete"), filters)
    assert preview.status_code == 200
    counted = preview.context["preview"].count
    assert counted == 20  # 10 sessions x 2 participants, video only
    assert f'data-preview-count="{counted}"' in preview.content.decode()
    assert len(preview.context["preview"].sample) == 10

    token = preview.context["confirm"]["preview_token"].value()
    wrong = admin_client.post(
        reverse("recordings:bulk_delete"),
        {**filters, "confirm_count": str(counted - 1), "preview_token": token},
    )
    assert wrong.status_code == 200
    assert wrong.context["confirm"].errors
    assert len(list(get_client().iter_recordings(room_id=room_id, type="video"))) == counted

    synced.clear_request_counts()
    done = admin_client.post(
        reverse("recordings:bulk_delete"), {**filters, "confirm_count": str(counted), "preview_token": token}
    )
    assert done.status_code == 200
    result = done.context["result"]
    assert result.deleted == counted
    assert synced.request_count("DELETE /room_recordings") == 0  # never the filter: by id
    assert synced.request_count("DELETE /room_recordings/{room_recording_id}") == counted
    assert list(get_client().iter_recordings(room_id=room_id, type="video")) == []
    assert len(list(get_client().iter_recordings())) == 400 - counted
    assert Recording.objects.filter(room_id=room_id, type="video", gone_upstream=True).count() == counted
    assert len(result.marked) == counted
    entry = AuditEntry.objects.get(action=AuditEntry.Action.RECORDINGS_BULK_DELETE)
    assert entry.succeeded and entry.target["deleted"] == counted


def test_bulk_delete_refuses_a_changed_set_and_deletes_exactly_the_previewed_ids(
    admin_client, synced
) -> None:  # type: ignore[no-untyped-def]
    room_id = Recording.objects.values_list("room_id", flat=True).order_by("room_id").first()
    filters = {"room": room_id, "type": "video"}
    preview = admin_client.get(reverse("recordings:bulk_delete"), filters)
    seen = set(preview.context["preview"].ids)
    token = preview.context["confirm"]["preview_token"].value()
    # Meanwhile two of them vanish upstream and two new ones appear: the count is the same.
    for victim in sorted(seen)[:2]:
        get_client().delete_recording(victim)
    for name in ("late-1", "late-2"):
        synced.leave(synced.join(room_id, name)["id"])
    fresh = {r.id for r in get_client().iter_recordings(room_id=room_id, type="video")}
    assert len(fresh) == len(seen) and fresh != seen

    synced.clear_request_counts()
    refused = admin_client.post(
        reverse("recordings:bulk_delete"),
        {**filters, "confirm_count": str(len(seen)), "preview_token": token},
    )
    assert refused.status_code == 409
    assert "changed since the preview" in refused.content.decode()
    assert synced.request_count("DELETE /room_recordings/{room_recording_id}") == 0
    assert synced.request_count("DELETE /room_recordings") == 0
    assert set(refused.context["preview"].ids) == fresh

    new_token = refused.context["confirm"]["preview_token"].value()
    synced.leave(synced.join(room_id, "later-still")["id"])  # appears after the new preview
    later = {r.id for r in get_client().iter_recordings(room_id=room_id, type="video")} - fresh
    again = admin_client.post(
        reverse("recordings:bulk_delete"),
        {**filters, "confirm_count": str(len(fresh)), "preview_token": new_token},
    )
    assert again.status_code == 409  # still a different set: refused again, nothing deleted
    assert {r.id for r in get_client().iter_recordings(room_id=room_id, type="video")} == fresh | later

    final = again.context["confirm"]["preview_token"].value()
    done = admin_client.post(
        reverse("recordings:bulk_delete"),
        {**filters, "confirm_count": str(len(fresh | later)), "preview_token": final},
    )
    assert done.status_code == 200
    assert done.context["result"].deleted == len(fresh | later)
    assert list(get_client().iter_recordings(room_id=room_id, type="video")) == []
    assert synced.request_count("DELETE /room_recordings/{room_recording_id}") == len(fresh | later)


def test_bulk_delete_by_participant_name_asks_for_an_id(admin_client, synced) -> None:  # type: ignore[no-untyped-def]
    response = admin_client.get(reverse("recordings:bulk_delete"), {"participant": "alice"})
    assert response.status_code == 400
    assert "participant id" in response.content.decode()


def test_single_delete_marks_the_row_and_audits(admin_client, synced) -> None:  # type: ignore[no-untyped-def]
    recording = Recording.objects.first()
    response = admin_client.post(reverse("recordings:delete", args=[recording.telnyx_id]))
    assert response.status_code == 302
    recording.refresh_from_db()
    assert recording.gone_upstream
    assert len(list(get_client().iter_recordings())) == 399
    assert AuditEntry.objects.get(action=AuditEntry.Action.RECORDING_DELETE).succeeded


def test_single_delete_goes_back_to_the_page_but_never_off_site(admin_client, synced) -> None:  # type: ignore[no-untyped-def]
    first, second = Recording.objects.all()[:2]
    back = admin_client.post(
        reverse("recordings:delete", args=[first.telnyx_id]), {"next": "/recordings/?page=2"}
    )
    assert back["Location"] == "/recordings/?page=2"
    away = admin_client.post(
        reverse("recordings:delete", args=[second.telnyx_id]), {"next": "https://evil.example/phish"}
    )
    assert away["Location"] == reverse("recordings:list")
