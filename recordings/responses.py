"""A recording's or composition's file as an HTTP answer: the one place a ``Download`` becomes a response
(the recordings pages and the public share pages both answer with it)."""

from __future__ import annotations

from django.http import FileResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

from recordings.services.downloads import Download


def download_response(download: Download, *, inline: bool) -> StreamingHttpResponse:
    """Status, type, length, range and filename from the download; played in the page when ``inline``."""
    response: StreamingHttpResponse
    if download.whole_file is not None:
        # A whole archived file: the server's file wrapper sends it (sendfile under gunicorn).
        response = FileResponse(download.whole_file, content_type=download.content_type)
    else:
        # A streaming response calls close() on the iterable it was given once it is done.
        response = StreamingHttpResponse(download, status=download.status, content_type=download.content_type)
    if download.content_length is not None:
        response["Content-Length"] = str(download.content_length)
    if download.content_range:
        response["Content-Range"] = download.content_range
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = content_disposition_header(not inline, download.filename) or (
        "inline" if inline else "attachment"
    )
    return response
