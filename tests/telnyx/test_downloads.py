"""Streaming downloads of recordings and compositions: ranges, expired links, bounded memory."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import psutil
import pytest

from dashboard.telnyx import (
    DownloadUnavailableError,
    PermissionDeniedError,
    RoomRecording,
    TelnyxClient,
)


def _audio(client: TelnyxClient) -> RoomRecording:
    return next(iter(client.iter_recordings(type="audio")))


def test_stream_a_recording_in_chunks(client: TelnyxClient, sandbox: Any) -> None:
    sandbox.seed(rooms=1, sessions_per_room=1, participants_per_session=1, recording_bytes=300_000)
    audio = _audio(client)
    with client.open_recording_stream(audio.id) as stream:
        assert stream.status_code == 200
        assert stream.content_type == "audio/wav"
        assert stream.content_length == 300_000
        assert stream.content_range is None
        chunks = list(stream.iter_bytes(64 * 1024))
    assert chunks[0][:4] == b"RIFF"
    assert max(len(c) for c in chunks) <= 64 * 1024
    assert sum(len(c) for c in chunks) == 300_000


def test_a_range_is_forwarded_for_a_206(client: TelnyxClient, sandbox: Any) -> None:
    sandbox.seed(rooms=1, sessions_per_room=1, participants_per_session=1, recording_bytes=300_000)
    audio = _audio(client)
    with client.stream_download(audio, byte_range="bytes=100-199") as stream:
        assert stream.status_code == 206
        assert stream.content_range == "bytes 100-199/300000"
        assert stream.content_length == 100
        body = b"".join(stream.iter_bytes())
    assert len(body) == 100


def test_stream_a_composition(client: TelnyxClient, sandbox: Any) -> None:
    sandbox.seed(rooms=1, sessions_per_room=1, participants_per_session=1, recording_bytes=2000)
    session = client.list_sessions().items[0]
    composition = client.create_composition(session_id=session.id)
    with (
        pytest.raises(DownloadUnavailableError, match="no download link yet"),
        client.open_composition_stream(composition.id),
    ):
        pass
    sandbox.complete_composition(composition.id)
    with client.open_composition_stream(composition.id) as stream:
        assert stream.status_code == 200 and stream.content_type == "video/mp4"
        total = sum(len(chunk) for chunk in stream.iter_bytes())
    assert total == stream.content_length and total > 0


def test_an_expired_link_is_renewed_transparently(client: TelnyxClient, sandbox: Any) -> None:
    sandbox.set_settings(link_ttl_secs=1)
    sandbox.seed(rooms=1, sessions_per_room=1, participants_per_session=1, recording_bytes=50_000)
    audio = _audio(client)
    stale_url = client.get_recording(audio.id).download_url
    assert stale_url
    time.sleep(2.1)  # links are signed with whole-second expiry times
    sandbox.clear_request_counts()

    with client.stream_download(audio) as stream:  # the record's link is stale by now
        assert stream.status_code == 200
        assert sum(len(c) for c in stream.iter_bytes()) == 50_000
    # One fresh fetch of the record, for the new link.
    assert sandbox.request_counts().get("GET /room_recordings/{room_recording_id}") == {200: 1}

    # A bare URL without a way to refetch cannot be renewed: the error says why.
    with pytest.raises(PermissionDeniedError) as caught, client.stream_download(stale_url):
        pass
    assert caught.value.status == 403 and "expired" in caught.value.message

    # A custom refetch is used as given.
    with client.stream_download(stale_url, refetch=lambda: client.get_recording(audio.id)) as stream:
        assert stream.status_code == 200


@pytest.mark.slow
def test_a_200_mb_download_keeps_memory_flat(client: TelnyxClient, sandbox: Any) -> None:
    size = 200_000_000
    sandbox.seed(rooms=1, sessions_per_room=1, participants_per_session=1, recording_bytes=size)
    audio = _audio(client)
    process = psutil.Process()
    with client.open_recording_stream(audio.id, byte_range="bytes=0-1048575") as warmup:
        b"".join(warmup.iter_bytes())  # warm the pool, imports and buffers before measuring
    gc.collect()
    baseline = process.memory_info().rss
    peak = baseline
    total = 0
    with client.open_recording_stream(audio.id) as stream:
        assert stream.content_length == size
        for index, chunk in enumerate(stream.iter_bytes(1024 * 1024)):
            total += len(chunk)
            if index % 8 == 0:
                peak = max(peak, process.memory_info().rss)
    peak = max(peak, process.memory_info().rss)
    assert total == size
    assert peak - baseline < 30 * 1024 * 1024, f"RSS grew by {(peak - baseline) / 2**20:.1f} MiB"


class _RecordingHandler(BaseHTTPRequestHandler):
    """A stand-in storage host (a real server on localhost) that remembers the headers it was sent."""

    seen: ClassVar[list[dict[str, str]]] = []

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        type(self).seen.append({k.lower(): v for k, v in self.headers.items()})
        body = (
            b'{"data": [], "meta": {"page_number": 1, "page_size": 20, "total_pages": 0, "total_results": 0}}'
        )
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


@pytest.fixture
def other_host() -> Iterator[tuple[str, list[dict[str, str]]]]:
    _RecordingHandler.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RecordingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _RecordingHandler.seen
    server.shutdown()
    server.server_close()


def test_the_key_goes_to_the_api_origin_only(make_client: Any, other_host: Any) -> None:
    root, seen = other_host
    api_client = make_client(api_key="KEYorigin-check", base_url=root + "/v2")
    api_client.list_rooms()
    assert seen[-1]["authorization"] == "Bearer KEYorigin-check"
    assert seen[-1]["user-agent"].startswith("telnyx-video-dashboard/")

    storage_client = make_client(api_key="KEYorigin-check")  # the API is the sandbox, storage is elsewhere
    with storage_client.stream_download(root + "/media/file.wav?signature=abc") as stream:
        b"".join(stream.iter_bytes())
    assert "authorization" not in seen[-1]
