"""Download links: signed, expiring, real WAV/MP4 bytes with Content-Length, Content-Type and Range."""

from __future__ import annotations

import io
import struct
import time
import wave

import httpx
import pytest

from tests.sandbox.api import api_client


@pytest.fixture
def api(sandbox):
    with api_client(sandbox) as client:
        yield client


@pytest.fixture
def links(sandbox, api):
    sandbox.seed(rooms=1, sessions_per_room=1, participants_per_session=1, recording_bytes=150_000)
    recs = {r["type"]: r for r in api.get("/room_recordings").json()["data"]}
    return recs["audio"]["download_url"], recs["video"]["download_url"]


def test_audio_is_a_valid_wav_of_the_configured_size(links):
    audio, _ = links
    response = httpx.get(audio)
    assert response.status_code == 200
    assert response.headers["content-type"] == "audio/wav"
    assert int(response.headers["content-length"]) == len(response.content) == 150_000
    with wave.open(io.BytesIO(response.content)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 8000)
        assert wav.getnframes() == (150_000 - 44) // 2
        assert any(wav.readframes(100))


def test_video_is_an_mp4_padded_with_a_free_box(links):
    _, video = links
    response = httpx.get(video)
    body = response.content
    assert response.headers["content-type"] == "video/mp4" and len(body) == 150_000
    boxes, pos = [], 0
    while pos < len(body):
        size, kind = struct.unpack(">I4s", body[pos : pos + 8])
        boxes.append(kind.decode())
        pos += size
    assert pos == len(body)
    assert boxes[0] == "ftyp" and "moov" in boxes and "mdat" in boxes and boxes[-1] == "free"


def test_range_requests(links):
    audio, _ = links
    whole = httpx.get(audio).content
    part = httpx.get(audio, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.headers["content-range"] == "bytes 100-199/150000"
    assert part.content == whole[100:200]
    tail = httpx.get(audio, headers={"Range": "bytes=-10"})
    assert tail.content == whole[-10:] and tail.headers["content-range"] == "bytes 149990-149999/150000"
    open_ended = httpx.get(audio, headers={"Range": "bytes=149000-"})
    assert open_ended.content == whole[149000:]
    beyond = httpx.get(audio, headers={"Range": "bytes=150000-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == "bytes */150000"
    head = httpx.head(audio)
    assert head.status_code == 200 and head.headers["content-length"] == "150000" and head.content == b""


def test_tampered_link_is_403(links):
    audio, _ = links
    assert httpx.get(audio.replace("signature=", "signature=0")).status_code == 403
    assert httpx.get(audio.split("?")[0]).status_code == 403


def test_link_expires(sandbox, api):
    sandbox.set_settings(link_ttl_secs=1)
    sandbox.seed(rooms=1, sessions_per_room=1, participants_per_session=1)
    url = api.get("/room_recordings").json()["data"][0]["download_url"]
    assert httpx.get(url).status_code == 200
    time.sleep(2.05)
    expired = httpx.get(url)
    assert expired.status_code == 403
    assert "expired" in expired.json()["errors"][0]["detail"]
    fresh = api.get("/room_recordings").json()["data"][0]["download_url"]
    assert httpx.get(fresh).status_code == 200


def test_deleted_recording_link_is_404(sandbox, api, links):
    audio, _ = links
    rec_id = audio.split("/")[-1].split(".")[0]
    api.delete(f"/room_recordings/{rec_id}")
    assert httpx.get(audio).status_code == 404


def test_a_slow_download_does_not_block_the_api(sandbox, api):
    sandbox.seed(rooms=1, sessions_per_room=1, participants_per_session=1, recording_bytes=50_000_000)
    url = api.get("/room_recordings", params={"filter[type]": "video"}).json()["data"][0]["download_url"]
    with httpx.stream("GET", url) as slow:
        first = next(slow.iter_bytes(1024))
        assert first
        started = time.monotonic()
        for _ in range(5):
            assert api.get("/rooms").status_code == 200
        assert time.monotonic() - started < 2
