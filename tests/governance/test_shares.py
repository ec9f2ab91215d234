"""Share links: unguessable, stored hashed, used without an account, every use recorded; an expired
or revoked link refuses. Session bundles: a zip of the session, streamed with flat memory."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import psutil
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from governance.bundles import session_bundle
from governance.models import ShareLink, ShareUse
from governance.shares import SHARE_CREATE, create_link, revoke_link, token_hash
from recordings.models import Recording
from recordings.services.sync import sync_recordings

pytestmark = pytest.mark.django_db


@pytest.fixture
def synced(telnyx_sandbox):  # type: ignore[no-untyped-def]
    telnyx_sandbox.seed(rooms=1, sessions_per_room=2, participants_per_session=2, compositions_per_room=1)
    sync_recordings()
    return telnyx_sandbox


def test_a_moderator_makes_a_link_that_plays_for_anyone_and_records_each_use(
    moderator_client, synced
) -> None:  # type: ignore[no-untyped-def]
    recording = Recording.objects.filter(type="audio").order_by("telnyx_id").first()
    made = moderator_client.post(
        reverse("governance:shares"),
        {"kind": "recording", "target_id": recording.telnyx_id, "days": "3", "note": "for counsel"},
    )
    url = made.context["new_url"]
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert len(token) >= 40
    link = ShareLink.objects.get()
    assert link.token_hash == token_hash(token) and token not in link.token_hash
    assert AuditEntry.objects.get(action=SHARE_CREATE).username == "mo-moderator"

    anonymous = Client()
    page = anonymous.get(reverse("share:page", args=[token]))
    assert page.status_code == 200
    file_url = reverse("share:file", args=[token, recording.telnyx_id])
    assert file_url in page.content.decode()
    played = anonymous.get(file_url + "?inline=1", REMOTE_ADDR="203.0.113.9")
    assert played.status_code == 200
    assert len(b"".join(played.streaming_content)) > 1000
    other = Recording.objects.exclude(pk=recording.pk).first()
    assert anonymous.get(reverse("share:file", args=[token, other.telnyx_id])).status_code == 404
    uses = list(ShareUse.objects.filter(link=link).order_by("id").values_list("what", "address"))
    assert uses == [("opened the page", "127.0.0.1"), (f"played {recording.telnyx_id}", "203.0.113.9")]
    listing = moderator_client.get(
        reverse("governance:shares"), {"kind": "recording", "target_id": recording.telnyx_id}
    )
    assert "203.0.113.9" in listing.content.decode()


def test_expired_revoked_and_unknown_links_refuse(admin_user, synced) -> None:  # type: ignore[no-untyped-def]
    recording = Recording.objects.order_by("telnyx_id").first()
    expired, expired_token = create_link(
        user=admin_user, kind="recording", target_id=recording.telnyx_id, days=1
    )
    ShareLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    revoked, revoked_token = create_link(
        user=admin_user, kind="recording", target_id=recording.telnyx_id, days=1
    )
    revoke_link(user=admin_user, link_id=revoked.pk)
    anonymous = Client()
    for token, status, words in (
        (expired_token, 410, "expired"),
        (revoked_token, 410, "revoked"),
        ("x" * 43, 404, ""),
    ):
        page = anonymous.get(reverse("share:page", args=[token]))
        assert page.status_code == status
        assert words in page.content.decode()
        file = anonymous.get(reverse("share:file", args=[token, recording.telnyx_id]))
        assert file.status_code == status
    assert not ShareUse.objects.exists()


def test_a_link_lasts_at_most_the_setting(moderator_client, synced, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SHARE_LINK_MAX_DAYS = 7
    recording = Recording.objects.first()
    response = moderator_client.post(
        reverse("governance:shares"), {"kind": "recording", "target_id": recording.telnyx_id, "days": "30"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["days"]
    assert not ShareLink.objects.exists()


def test_viewers_cannot_make_links(viewer_client, synced) -> None:  # type: ignore[no-untyped-def]
    assert viewer_client.get(reverse("governance:shares")).status_code == 403


def test_a_session_bundle_holds_every_file_and_the_attendance(admin_user, synced) -> None:  # type: ignore[no-untyped-def]
    session_id = Recording.objects.order_by("session_id").values_list("session_id", flat=True).first()
    link, token = create_link(user=admin_user, kind="session", target_id=session_id, days=1)
    response = Client().get(reverse("share:bundle", args=[token]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    names = zipfile.ZipFile(io.BytesIO(body)).namelist()
    assert len([n for n in names if n.startswith("recordings/")]) == 4
    assert (
        sum(n.endswith("-video.mp4") for n in names) == 2
        and sum(n.endswith("-audio.wav") for n in names) == 2
    )
    assert "attendance.csv" in names
    attendance = zipfile.ZipFile(io.BytesIO(body)).read("attendance.csv").decode().splitlines()
    assert attendance[0].startswith("participant_id,name,joined_at") and len(attendance) == 3
    assert ShareUse.objects.filter(link=link, what="downloaded the session bundle").count() == 1


@pytest.mark.slow
def test_a_one_gigabyte_bundle_streams_with_flat_memory(telnyx_sandbox, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Archived copies (sizes known): the size is announced and matches; RSS grows far less than the zip."""
    telnyx_sandbox.seed(rooms=1, sessions_per_room=1, participants_per_session=2, recording_bytes=256_000_000)
    sync_recordings()
    settings.MEDIA_ROOT = str(tmp_path)
    from recordings.services.archive import archive_file

    for recording in Recording.objects.all():
        archive_file(record=recording)
    session_id = Recording.objects.values_list("session_id", flat=True).first()
    bundle = session_bundle(session_id)
    assert bundle.size is not None and bundle.size > 1_000_000_000
    process = psutil.Process()
    before = process.memory_info().rss
    total = 0
    peak = before
    for chunk in bundle:
        total += len(chunk)
        peak = max(peak, process.memory_info().rss) if total % (64 << 20) < len(chunk) else peak
    peak = max(peak, process.memory_info().rss)
    assert total == bundle.size
    assert peak - before < 100_000_000  # the zip is over 1 GB; memory grows by far less
