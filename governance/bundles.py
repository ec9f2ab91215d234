"""A session bundle: one zip of the session's recordings (named by participant and track), its
completed compositions and its attendance CSV, streamed in constant memory.

Entries are stored, not compressed (media does not compress), so the zip's size follows from the
files' sizes: when every file's size is known here (archived copies), the size is announced
(``Bundle.size``) and a browser shows progress; otherwise the zip streams without a length. Each
file is opened only when the zip reaches it and read in chunks.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from zipstream import ZIP_STORED, ZipStream

from dashboard.csv_export import neutralise
from recordings.models import Composition, Recording
from recordings.services.downloads import open_file


@dataclass
class Bundle:
    filename: str
    size: int | None
    stream: ZipStream

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.stream)


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "file"


def _chunks(record: Recording | Composition) -> Iterator[bytes]:
    download = open_file(record=record)
    try:
        yield from download
    finally:
        download.close()


def recording_name(recording: Recording, index: int) -> str:
    who = recording.participant_context or recording.participant_id[:8] or "participant"
    ext = "mp4" if recording.type == Recording.Type.VIDEO else "wav"
    return f"recordings/{index:02d}-{_safe(who)}-{recording.type or 'track'}.{ext}"


@dataclass
class _Attendee:
    name: str
    joined: datetime | None = None
    left: datetime | None = None
    tracks: set[str] = field(default_factory=set)


def attendance_csv(recordings: list[Recording]) -> bytes:
    """One row per participant: first joined, last left, seconds between, tracks recorded."""
    people: dict[str, _Attendee] = {}
    for r in recordings:
        who = people.setdefault(r.participant_id, _Attendee(name=r.participant_context or ""))
        if r.started_at and (who.joined is None or r.started_at < who.joined):
            who.joined = r.started_at
        if r.ended_at and (who.left is None or r.ended_at > who.left):
            who.left = r.ended_at
        who.tracks.add(r.type)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["participant_id", "name", "joined_at", "left_at", "seconds", "tracks"])
    for pid, who in people.items():
        seconds = int((who.left - who.joined).total_seconds()) if who.joined and who.left else ""
        writer.writerow(
            [
                neutralise(pid),
                neutralise(who.name),
                who.joined.astimezone(UTC).isoformat() if who.joined else "",
                who.left.astimezone(UTC).isoformat() if who.left else "",
                seconds,
                " ".join(sorted(who.tracks)),
            ]
        )
    return out.getvalue().encode()


def _known_size(record: Recording | Composition) -> int | None:
    return record.archive_size if record.is_archived else None


def session_bundle(session_id: str) -> Bundle:
    recordings = list(
        Recording.objects.filter(session_id=session_id).order_by("participant_id", "type", "started_at")
    )
    compositions = list(
        Composition.objects.filter(session_id=session_id, status=Composition.Status.COMPLETED).order_by(
            "created_at"
        )
    )
    files: list[tuple[str, Recording | Composition]] = []
    for index, recording in enumerate(recordings, start=1):
        if recording.is_archived or not recording.gone_upstream:
            files.append((recording_name(recording, index), recording))
    for index, composition in enumerate(compositions, start=1):
        if composition.is_archived or not composition.gone_upstream:
            files.append((f"compositions/{index:02d}-composition.{composition.format or 'mp4'}", composition))
    sizes = [_known_size(record) for _, record in files]
    sized = all(size is not None for size in sizes)
    stream = ZipStream(compress_type=ZIP_STORED, sized=sized)
    for (name, record), size in zip(files, sizes, strict=True):
        stream.add(_chunks(record), name, size=size)
    stream.add(attendance_csv(recordings), "attendance.csv")
    return Bundle(
        filename=f"session-{_safe(session_id)}.zip",
        size=len(stream) if sized else None,
        stream=stream,
    )
