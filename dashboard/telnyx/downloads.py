"""The response-like object a download returns: headers and a chunked body, never the whole file."""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType

import httpx

__all__ = ["DownloadStream"]


class DownloadStream:
    """An open download from Telnyx storage (or the sandbox), read in chunks.

    ``status_code`` is 200, or 206 when a ``Range`` was asked for and honoured, so a view can answer
    the browser with the same status and ``content_range``. It owns the open HTTP response: whoever
    opened it calls ``close()`` (or uses it in a ``with`` block) once done, read to the end or not.
    """

    __slots__ = ("_response",)

    def __init__(self, response: httpx.Response) -> None:
        self._response = response

    @property
    def status_code(self) -> int:
        return self._response.status_code

    @property
    def headers(self) -> httpx.Headers:
        return self._response.headers

    @property
    def content_type(self) -> str | None:
        value: str | None = self._response.headers.get("content-type")
        return value

    @property
    def content_length(self) -> int | None:
        value = self._response.headers.get("content-length")
        return int(value) if value and value.isdigit() else None

    @property
    def content_range(self) -> str | None:
        value: str | None = self._response.headers.get("content-range")
        return value

    @property
    def content_disposition(self) -> str | None:
        value: str | None = self._response.headers.get("content-disposition")
        return value

    def iter_bytes(self, chunk_size: int = 64 * 1024) -> Iterator[bytes]:
        """The body in chunks of ``chunk_size`` bytes (the last may be shorter)."""
        yield from self._response.iter_bytes(chunk_size)

    def close(self) -> None:
        self._response.close()

    def __enter__(self) -> DownloadStream:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<DownloadStream {self.status_code} {self.content_type} {self.content_length} bytes>"
