"""Downloadable media generated on the fly: signed, expiring links and byte ranges of any size.

Audio is a 16-bit mono 8 kHz WAV of a quiet 400 Hz tone whose header matches the configured size. Video is
``assets/sample.mp4`` (made by ``assets/make_sample.sh``) followed, when a larger size is configured, by a
top-level MP4 ``free`` box of zeros that players skip. Neither is ever held in memory beyond one chunk.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Final, Literal
from urllib.parse import urlencode

SAMPLE_MP4 = Path(__file__).with_name("assets") / "sample.mp4"
WAV_HEADER_SIZE = 44
WAV_RATE = 8000
CHUNK = 1 << 20
CONTENT_TYPES = {"wav": "audio/wav", "mp4": "video/mp4"}
UNSATISFIABLE: Final = "unsatisfiable"


def _tone_pattern() -> memoryview:
    period = 20  # 8000 Hz / 400 Hz
    amplitude = 1200
    one = b"".join(
        struct.pack("<h", round(amplitude * math.sin(2 * math.pi * i / period))) for i in range(period)
    )
    return memoryview(one * (CHUNK // len(one)))


TONE = _tone_pattern()
ZEROS = memoryview(bytes(CHUNK))


def wav_header(total: int) -> bytes:
    data = total - WAV_HEADER_SIZE
    return (
        b"RIFF"
        + struct.pack("<I", total - 8)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, WAV_RATE, WAV_RATE * 2, 2, 16)
        + b"data"
        + struct.pack("<I", data)
    )


class MediaFiles:
    """Sizes, signed links and byte streams for audio (wav) and video (mp4) downloads."""

    def __init__(self, secret: bytes, sample_mp4: bytes | None = None) -> None:
        self.secret = secret
        self.sample = sample_mp4 if sample_mp4 is not None else SAMPLE_MP4.read_bytes()

    # sizes ------------------------------------------------------------------------------------------------
    def actual_size(self, ext: str, wanted: int) -> int:
        """The size a file will really have when ``wanted`` bytes are asked for."""
        if ext == "wav":
            size = max(wanted, WAV_HEADER_SIZE + 1000)
            return size + (size - WAV_HEADER_SIZE) % 2
        base = len(self.sample)
        if wanted <= base:
            return base
        return max(wanted, base + 8)

    # links ------------------------------------------------------------------------------------------------
    def signature(self, path: str, expires: int) -> str:
        return hmac.new(self.secret, f"{path}|{expires}".encode(), hashlib.sha256).hexdigest()

    def link(self, root_url: str, path: str, expires: int) -> str:
        return f"{root_url}{path}?" + urlencode(
            {"expires": expires, "signature": self.signature(path, expires)}
        )

    def check(self, path: str, expires: str | None, signature: str | None, now: float) -> str | None:
        """None when the link is good, else the reason it is refused."""
        if not expires or not signature or not expires.isdigit():
            return "The download link is missing its expiry or signature."
        if not hmac.compare_digest(self.signature(path, int(expires)), signature):
            return "The download link signature is invalid."
        if int(expires) <= now:
            return "The download link has expired; fetch the record again for a fresh link."
        return None

    # bytes ------------------------------------------------------------------------------------------------
    def _layout(self, ext: str, total: int) -> tuple[bytes, memoryview]:
        if ext == "wav":
            return wav_header(total), TONE
        rest = total - len(self.sample)
        if rest <= 0:
            return self.sample, ZEROS
        if rest < 1 << 32:
            box = struct.pack(">I", rest) + b"free"
        else:
            box = struct.pack(">I", 1) + b"free" + struct.pack(">Q", rest)
        return self.sample + box, ZEROS

    def stream(self, ext: str, total: int, start: int, end: int) -> Iterator[memoryview | bytes]:
        """Yield bytes ``start..end`` (inclusive) of a ``total``-byte file, one chunk at a time."""
        prefix, pattern = self._layout(ext, total)
        pos = start
        while pos <= end:
            if pos < len(prefix):
                piece: memoryview | bytes = prefix[pos : min(len(prefix), end + 1)]
            else:
                offset = (pos - len(prefix)) % len(pattern)
                n = min(len(pattern) - offset, end + 1 - pos)
                piece = pattern[offset : offset + n]
            yield piece
            pos += len(piece)


def parse_range(header: str | None, total: int) -> tuple[int, int] | None | Literal["unsatisfiable"]:
    """(start, end) for a satisfiable single range, None to serve it all, UNSATISFIABLE for a 416."""
    if not header or not header.startswith("bytes=") or "," in header:
        return None
    spec = header[6:].strip()
    first, _, last = spec.partition("-")
    try:
        if first == "":
            if not last:
                return None
            length = int(last)
            if length <= 0:
                return UNSATISFIABLE
            return max(0, total - length), total - 1
        start = int(first)
        end = int(last) if last else total - 1
    except ValueError:
        return None
    if start >= total or end < start:
        return UNSATISFIABLE
    return start, min(end, total - 1)
