"""The optional archive (``RECORDINGS_ARCHIVE=1``): a copy of each completed file in Django's default
storage, with its size and SHA-256, so downloads still work once Telnyx deleted the file."""

from __future__ import annotations

import hashlib
import tempfile

from django.conf import settings
from django.core.files.base import File
from django.utils import timezone

from dashboard.celery import enqueue
from dashboard.errors import UserError
from recordings.models import Composition, Recording
from recordings.services.downloads import download_filename, open_file

_TASKS: dict[type[Recording] | type[Composition], str] = {
    Recording: "recordings.tasks.archive_recording",
    Composition: "recordings.tasks.archive_composition",
}


def archive_file(*, record: Recording | Composition) -> None:
    """Copy a completed file into Django's default storage with its size and SHA-256 (idempotent:
    an archived record is left alone; a half-written copy is never referenced)."""
    if record.is_archived or record.status != "completed" or record.gone_upstream:
        return
    digest = hashlib.sha256()
    size = 0
    with tempfile.TemporaryFile() as spool:
        source = open_file(record=record)
        try:
            for chunk in source:
                digest.update(chunk)
                size += len(chunk)
                spool.write(chunk)
        finally:
            source.close()
        spool.seek(0)
        kind = "recordings" if isinstance(record, Recording) else "compositions"
        name = f"{kind}/{record.telnyx_id}-{download_filename(record)}"
        stored = record.archive_file.storage.save(f"archive/{name}", File(spool))
    type(record).objects.filter(pk=record.pk).update(
        archive_file=stored,
        archive_size=size,
        archive_sha256=digest.hexdigest(),
        archived_at=timezone.now(),
        archive_error="",
    )


def archive(*, model: type[Recording] | type[Composition], pk: int) -> None:
    """Archive one record by primary key (what the archive tasks run).

    A temporary error propagates, for the task to retry; a permanent one is recorded on the row
    (``archive_error``), which takes it out of ``queue_archive_tasks`` until someone clears it.
    """
    record = model.objects.filter(pk=pk).first()
    if record is None:
        return
    try:
        archive_file(record=record)
    except UserError as exc:
        if exc.temporary:
            raise
        model.objects.filter(pk=pk).update(archive_error=exc.message)


def queue_archive_tasks(limit: int = 500) -> int:
    """Queue archive tasks for completed files not yet archived (RECORDINGS_ARCHIVE=1); returns how many."""
    if not settings.RECORDINGS_ARCHIVE:
        return 0
    queued = 0
    for model, task_name in _TASKS.items():
        pks = list(
            model.objects.filter(
                gone_upstream=False, status="completed", archived_at__isnull=True, archive_error=""
            ).values_list("pk", flat=True)[:limit]
        )
        for pk in pks:
            enqueue(task_name, pk)
        queued += len(pks)
    return queued
