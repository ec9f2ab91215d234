"""The optional archive: a copy in Django storage with size and SHA-256; downloads then come from it."""

from __future__ import annotations

import hashlib

import pytest
from django.http import FileResponse
from django.urls import reverse

from dashboard.telnyx import get_client
from recordings.models import Recording
from recordings.services.archive import archive_file
from recordings.services.sync import sync_recordings

pytestmark = pytest.mark.django_db


def test_archived_recording_is_served_from_the_archive_after_telnyx_deleted_it(
    viewer_client, telnyx_sandbox, settings, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    settings.RECORDINGS_ARCHIVE = True
    settings.MEDIA_ROOT = str(tmp_path)
    telnyx_sandbox.seed(rooms=10, sessions_per_room=10, participants_per_session=2)
    sync_recordings()
    recording = Recording.objects.filter(type="audio").order_by("telnyx_id").first()
    with get_client().open_recording_stream(recording.telnyx_id) as stream:
        original = b"".join(stream.iter_bytes())

    archive_file(record=recording)
    archive_file(record=Recording.objects.get(pk=recording.pk))  # idempotent: already archived, left alone
    recording.refresh_from_db()
    assert recording.is_archived
    assert recording.archive_size == len(original)
    assert recording.archive_sha256 == hashlib.sha256(original).hexdigest()

    get_client().delete_recording(recording.telnyx_id)
    sync_recordings(full=True)
    recording.refresh_from_db()
    assert recording.gone_upstream

    url = reverse("recordings:download", args=[recording.telnyx_id])
    response = viewer_client.get(url)
    assert response.status_code == 200
    # The whole file goes out through the server's file wrapper (sendfile), not Python chunks.
    assert isinstance(response, FileResponse)
    assert response["Content-Length"] == str(len(original))
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == original
    ranged = viewer_client.get(url, HTTP_RANGE="bytes=10-19")
    assert ranged.status_code == 206
    assert ranged["Content-Range"] == f"bytes 10-19/{len(original)}"
    assert b"".join(ranged.streaming_content) == original[10:20]
