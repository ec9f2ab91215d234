"""Downloads: a recording's or composition's file, from the archive when there is one, else from
Telnyx (a fresh link fetched behind the scenes if the stored one expired), ``Range`` honoured.

``open_download`` is what a browser gets (audited); ``open_file`` is the same file unaudited, for
the archive's own copy.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any, BinaryIO, Literal

from django.utils import timezone

from audit.models import AuditEntry
from audit.services import ACCESS_WINDOW_SECS, record_access, record_action
from dashboard.errors import NotFound, Refused, UserError, telnyx_call
from dashboard.telnyx import (
    BadRequestError,
    DownloadGoneError,
    NotFoundError,
    RoomComposition,
    RoomRecording,
    TelnyxClient,
    TelnyxError,
    get_client,
)
from recordings.models import Composition, Recording

#: Chunks of a file streamed from Telnyx or a ranged read of the archive: large enough that a
#: fast socket is not left waiting on Python between chunks, small enough to keep memory flat.
CHUNK_SIZE = 1024 * 1024


class RangeNotSatisfiable(Refused):
    """The ``Range`` asked for lies outside the file; ``total`` is its size when known."""

    def __init__(self, total: int | None) -> None:
        super().__init__("The requested byte range is outside the file.")
        self.total = total


class NotReady(Refused):
    """The composition has no file yet (not completed, no archived copy)."""


@dataclass
class Download:
    """A file on its way to a browser: the status (200 or 206) and headers to answer with, and the
    body in chunks (iterate the download). ``close()`` releases the file or the connection to
    Telnyx; a streaming response calls it when it is done, read to the end or not."""

    filename: str
    status: int
    content_type: str
    content_length: int | None
    content_range: str | None
    chunks: Iterator[bytes]
    release: Callable[[], None] = field(repr=False)
    closed: bool = False
    #: The whole archived file, open at its start: the web server can send it itself (sendfile).
    whole_file: BinaryIO | None = field(default=None, repr=False)

    def __iter__(self) -> Iterator[bytes]:
        return self.chunks

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.release()


def open_download(
    *, user: Any, record: Recording | Composition, byte_range: str | None = None, play: bool = False
) -> Download:
    """Open the file for ``user`` and log the access (the audit log's "access" category): one entry
    per download, and one per play however many requests the player makes (a range starting past 0
    is a player fetching more of a file already logged; a play of the same file by the same person
    within ``audit.services.ACCESS_WINDOW_SECS`` is the same play). A failure is logged too, except
    a range outside the file or a composition not ready yet.

    The caller closes the result.
    """
    try:
        download = open_file(record=record, byte_range=byte_range)
    except (RangeNotSatisfiable, NotReady):
        raise
    except UserError as exc:
        _audit(user=user, record=record, play=play, succeeded=False, message=exc.message)
        raise
    if not byte_range or byte_range.replace(" ", "").startswith("bytes=0-"):
        _audit(user=user, record=record, play=play, succeeded=True)
    return download


def open_file(*, record: Recording | Composition, byte_range: str | None = None) -> Download:
    """The file, unaudited: from the archive when there is a copy, else from Telnyx.

    Raises ``NotReady`` for a composition not completed, ``NotFound`` for a file gone from Telnyx
    (the record is marked gone upstream when Telnyx no longer has it), ``RangeNotSatisfiable``, or
    another ``UserError`` when Telnyx could not serve it.
    """
    if record.is_archived:
        return _from_archive(record, byte_range)
    if isinstance(record, Composition) and record.status != Composition.Status.COMPLETED:
        raise NotReady("This composition is not completed yet.")
    if record.gone_upstream:
        raise NotFound("This file was deleted in Telnyx and no archived copy exists.")
    return _from_telnyx(record, byte_range)


def _from_telnyx(record: Recording | Composition, byte_range: str | None) -> Download:
    client = get_client()
    remote: RoomRecording | RoomComposition
    if isinstance(record, Recording):
        _resolve_participant_name(record, client)
        remote = RoomRecording(id=record.telnyx_id, download_url=record.download_url or None)
    else:
        remote = RoomComposition(id=record.telnyx_id, download_url=record.download_url or None)
    with telnyx_call("fetch the file from Telnyx"):
        try:
            stream = client.open_download(remote, byte_range=byte_range)
        except DownloadGoneError:
            raise  # the record is still listed in Telnyx; only its file is missing
        except NotFoundError:
            type(record).objects.filter(pk=record.pk).update(
                gone_upstream=True, gone_upstream_at=timezone.now()
            )
            raise
        except BadRequestError as exc:
            if exc.status == 416:
                raise RangeNotSatisfiable(None) from None
            raise
    return Download(
        filename=download_filename(record),
        status=stream.status_code,
        content_type=stream.content_type or "application/octet-stream",
        content_length=stream.content_length,
        content_range=stream.content_range,
        chunks=stream.iter_bytes(CHUNK_SIZE),
        release=stream.close,
    )


def _from_archive(record: Recording | Composition, byte_range: str | None) -> Download:
    handle = record.archive_file.open("rb")
    total = record.archive_size or record.archive_file.size
    wanted = parse_byte_range(byte_range, total)
    if isinstance(wanted, str):
        handle.close()
        raise RangeNotSatisfiable(total)
    start, end = (0, total - 1) if wanted is None else wanted
    handle.seek(start)

    def chunks() -> Iterator[bytes]:
        left = end - start + 1
        while left > 0:
            piece = handle.read(min(CHUNK_SIZE, left))
            if not piece:
                return
            left -= len(piece)
            yield piece

    filename = download_filename(record)
    return Download(
        filename=filename,
        status=200 if wanted is None else 206,
        content_type="video/mp4" if filename.endswith(".mp4") else "audio/wav",
        content_length=end - start + 1,
        content_range=None if wanted is None else f"bytes {start}-{end}/{total}",
        chunks=chunks(),
        release=handle.close,
        whole_file=handle if wanted is None else None,
    )


def download_filename(record: Recording | Composition) -> str:
    """room_session-start_participant.ext, safe for any file system."""
    room = getattr(record, "room_name", None) or (record.room_id[:8] if record.room_id else "room")
    start = (
        record.started_at.astimezone(UTC).strftime("%Y-%m-%d_%H%M") if record.started_at else "unknown-start"
    )
    if isinstance(record, Recording):
        who = record.participant_context or (
            record.participant_id[:8] if record.participant_id else "participant"
        )
        ext = "mp4" if record.type == Recording.Type.VIDEO else "wav"
        name = f"{room}_{start}_{who}_{record.type or 'recording'}.{ext}"
    else:
        name = f"{room}_{start}_composition.{record.format or 'mp4'}"
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-")


def _resolve_participant_name(recording: Recording, client: TelnyxClient) -> None:
    if recording.participant_context is not None or not recording.participant_id:
        return
    try:
        participant = client.get_participant(recording.participant_id)
        name = participant.context or ""
    except NotFoundError:
        name = ""
    except TelnyxError:
        return  # a name is nice to have; the download goes on without it
    recording.participant_context = name
    Recording.objects.filter(pk=recording.pk).update(participant_context=name)


def parse_byte_range(header: str | None, total: int) -> tuple[int, int] | None | Literal["unsatisfiable"]:
    """(start, end) of a single ``bytes=`` range, None for no/ignored range, "unsatisfiable"."""
    if not header or not header.startswith("bytes=") or "," in header:
        return None
    spec = header[6:].strip()
    first, _, last = spec.partition("-")
    try:
        if first == "":
            length = int(last)
            if length <= 0:
                return "unsatisfiable"
            return max(0, total - length), total - 1
        start = int(first)
        end = int(last) if last else total - 1
    except ValueError:
        return None
    if start >= total or start > end:
        return "unsatisfiable"
    return start, min(end, total - 1)


def _audit(
    *, user: Any, record: Recording | Composition, play: bool, succeeded: bool, message: str = ""
) -> None:
    is_recording = isinstance(record, Recording)
    Action = AuditEntry.Action
    if is_recording:
        action = Action.RECORDING_PLAY if play else Action.RECORDING_DOWNLOAD
    else:
        action = Action.COMPOSITION_PLAY if play else Action.COMPOSITION_DOWNLOAD
    where = {
        "room_id": record.room_id,
        "room_name": getattr(record, "room_name", None) or "",
        "session_id": record.session_id,
    }
    target_key = "recording_id" if is_recording else "composition_id"
    if not succeeded:
        record_action(
            user=user,
            action=action,
            succeeded=False,
            message=message,
            target={target_key: record.telnyx_id},
            **where,
        )
        return
    record_access(
        user=user,
        action=action,
        target_key=target_key,
        target_id=record.telnyx_id,
        within_secs=ACCESS_WINDOW_SECS if play else 0,
        succeeded=True,
        message=f"{'Played' if play else 'Downloaded'} {download_filename(record)}.",
        **where,
    )
