"""The Policies page: admins only; its preview is what the run deletes; a big change needs the count typed."""

from __future__ import annotations

import pytest
from django.urls import reverse

from governance.models import RetentionPolicy
from governance.retention import apply_retention, preview
from recordings.models import Recording
from recordings.services.sync import sync_recordings

pytestmark = pytest.mark.django_db


@pytest.fixture
def synced(telnyx_sandbox):  # type: ignore[no-untyped-def]
    telnyx_sandbox.seed(rooms=3, sessions_per_room=8, participants_per_session=2, compositions_per_room=2)
    sync_recordings()
    return telnyx_sandbox


def test_only_admins_see_the_policies_page(moderator_client, viewer_client, admin_client, synced) -> None:  # type: ignore[no-untyped-def]
    url = reverse("governance:policies")
    assert moderator_client.get(url).status_code == 403
    assert viewer_client.get(url).status_code == 403
    assert admin_client.get(url).status_code == 200


def test_a_big_change_needs_the_count_typed_and_the_page_shows_what_the_run_deletes(
    admin_client, synced, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.RETENTION_CONFIRM_THRESHOLD = 5
    settings.RETENTION_DAYS = None
    room_id = Recording.objects.order_by("room_id").values_list("room_id", flat=True).first()
    url = reverse("governance:policies")
    form = {"room_id": room_id, "recordings_days": "10", "compositions_days": ""}
    refused = admin_client.post(url, form)
    assert refused.status_code == 200
    total = refused.context["pending"].total
    assert total > 5
    assert f"type {total} to confirm" in refused.content.decode()
    assert not RetentionPolicy.objects.exists()
    wrong = admin_client.post(url, {**form, "confirm_count": str(total + 1)})
    assert wrong.context["form"].errors["confirm_count"]
    assert not RetentionPolicy.objects.exists()
    saved = admin_client.post(url, {**form, "confirm_count": str(total)})
    assert saved.status_code == 302
    assert RetentionPolicy.objects.get().recordings_days == 10

    page = admin_client.get(url)
    shown = page.context["preview"]
    assert shown.recordings.count == total == preview().recordings.count
    assert f'data-recordings="{total}"' in page.content.decode()
    run = apply_retention()
    assert (run.recordings, run.compositions) == (total, 0)
    assert Recording.objects.filter(gone_upstream=True, room_id=room_id).count() == total


def test_bad_input_is_a_message_beside_the_field(admin_client, synced) -> None:  # type: ignore[no-untyped-def]
    response = admin_client.post(reverse("governance:policies"), {"room_id": "nope", "recordings_days": "-3"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "room_id" in errors and "recordings_days" in errors
