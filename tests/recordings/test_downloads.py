"""Downloads stream through the dashboard: identical bytes, constant memory, Range answered 206."""

from __future__ import annotations

import gc
import hashlib

import psutil
import pytest
from django.urls import reverse

from audit.models import AuditEntry
from dashboard.telnyx import get_client
from recordings.models import Recording
from recordings.services.sync import sync_recordings

pytestmark = pytest.mark.django_db

SIZE = 200_000_000


@pytest.fixture
def big_recording(telnyx_sandbox) -> Recording:  # type: ignore[no-untyped-def]
    telnyx_sandbox.seed(rooms=10, sessions_per_room=10, participants_per_session=2, recording_bytes=SIZE)
    sync_recordings()
    return Recording.objects.filter(type="video").order_by("telnyx_id").first()  # type: ignore[return-value]


def sandbox_sha256(recording_id: str) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with get_client().open_recording_stream(recording_id) as stream:
        for chunk in stream.iter_bytes(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def test_200_mb_download_is_identical_and_streams_in_constant_memory(viewer_client, big_recording) -> None:  # type: ignore[no-untyped-def]
    expected, expected_size = sandbox_sha256(big_recording.telnyx_id)
    assert expected_size >= SIZE
    gc.collect()
    process = psutil.Process()
    baseline = process.memory_info().rss
    peak = baseline

    response = viewer_client.get(reverse("recordings:download", args=[big_recording.telnyx_id]))
    assert response.status_code == 200
    assert response.streaming
    assert int(response["Content-Length"]) == expected_size
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert big_recording.room_name in disposition
    assert big_recording.started_at.strftime("%Y-%m-%d_%H%M") in disposition
    digest, size = hashlib.sha256(), 0
    for i, chunk in enumerate(response.streaming_content):
        digest.update(chunk)
        size += len(chunk)
        if i % 64 == 0:
            peak = max(peak, process.memory_info().rss)
    peak = max(peak, process.memory_info().rss)

    assert size == expected_size
    assert digest.hexdigest() == expected
    growth_mb = (peak - baseline) / 1_000_000
    assert growth_mb < 30, f"memory grew {growth_mb:.1f} MB"
    # The participant's name was looked up for the file name.
    big_recording.refresh_from_db()
    assert big_recording.participant_context and big_recording.participant_context in disposition
    entry = AuditEntry.objects.get(action=AuditEntry.Action.RECORDING_DOWNLOAD)
    assert entry.succeeded and entry.target == {"recording_id": big_recording.telnyx_id}


def test_range_request_is_answered_206_with_content_range(viewer_client, big_recording) -> None:  # type: ignore[no-untyped-def]
    url = reverse("recordings:download", args=[big_recording.telnyx_id]) + "?inline=1"
    response = viewer_client.get(url, HTTP_RANGE="bytes=1000-1999")
    assert response.status_code == 206
    total = int(response["Content-Range"].rsplit("/", 1)[1])
    assert response["Content-Range"] == f"bytes 1000-1999/{total}"
    assert response["Content-Disposition"].startswith("inline;")
    body = b"".join(response.streaming_content)
    assert len(body) == 1000
    with get_client().open_recording_stream(big_recording.telnyx_id, byte_range="bytes=1000-1999") as stream:
        assert body == b"".join(stream.iter_bytes())
    # A seek (range not from 0) is not another audit entry.
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.RECORDING_DOWNLOAD).exists()


def test_expired_stored_link_is_renewed_behind_the_scenes(
    viewer_client, big_recording, telnyx_sandbox
) -> None:  # type: ignore[no-untyped-def]
    Recording.objects.filter(pk=big_recording.pk).update(
        download_url=big_recording.download_url.replace("expires=", "expires=1")
    )
    response = viewer_client.get(
        reverse("recordings:download", args=[big_recording.telnyx_id]), HTTP_RANGE="bytes=0-99"
    )
    assert response.status_code == 206
    assert len(b"".join(response.streaming_content)) == 100
