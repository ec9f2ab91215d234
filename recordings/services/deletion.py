"""Deleting recordings and compositions in Telnyx: one at a time, or recordings in bulk by filter.

Every deletion is audited; the local rows are kept and marked gone upstream, never dropped.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from audit.models import AuditEntry
from audit.services import audited
from dashboard.errors import Refused, telnyx_call
from dashboard.telnyx import NotFoundError, RoomRecording, get_client
from governance.holds import held_recording_ids, refuse_if_held
from recordings.models import Composition, Recording
from recordings.services.browse import RecordingFilters, filter_recordings
from recordings.services.downloads import download_filename
from recordings.services.sync import queue_sync


def delete_recording(*, user: Any, recording: Recording) -> None:
    """Delete one recording in Telnyx (already gone counts as done), mark it, audit it."""
    with audited(
        user=user,
        action=AuditEntry.Action.RECORDING_DELETE,
        room_id=recording.room_id,
        room_name=recording.room_name or "",
        session_id=recording.session_id,
        target={"recording_id": recording.telnyx_id},
    ) as outcome:
        refuse_if_held(recording)
        with telnyx_call("delete the recording"), suppress(NotFoundError):  # already gone counts as deleted
            get_client().delete_recording(recording.telnyx_id)
        Recording.objects.filter(pk=recording.pk).update(gone_upstream=True, gone_upstream_at=timezone.now())
        outcome.message = f"Deleted {download_filename(recording)}."


@dataclass
class BulkPreview:
    count: int
    sample: list[RoomRecording]
    api_filters: dict[str, Any]


def preview_bulk_delete(*, filters: RecordingFilters, sample_size: int = 10) -> BulkPreview:
    """How many recordings Telnyx holds for these filters, and a sample: asked of Telnyx itself
    (one call), so the count is exactly what ``DELETE /room_recordings`` will remove."""
    if filters.is_empty:
        raise Refused("Choose at least one filter: deleting every recording is not allowed here.")
    api_filters = filters.as_api_filters()
    with telnyx_call("count the matching recordings"):
        page = get_client().list_recordings(page=1, page_size=sample_size, **api_filters)
    return BulkPreview(count=page.meta.total_results, sample=page.items, api_filters=api_filters)


@dataclass
class BulkDeleteResult:
    deleted: int
    marked: list[Recording]
    skipped_held: int = 0


def bulk_delete_recordings(*, user: Any, filters: RecordingFilters, confirmed_count: int) -> BulkDeleteResult:
    """Delete in Telnyx every recording matching the filters, once the user typed the count.

    Refuses an empty filter and a count that no longer matches Telnyx (something changed since the
    preview). Afterwards the matching local rows are marked gone upstream (what was removed) and an
    incremental sync is queued.
    """
    preview = preview_bulk_delete(filters=filters, sample_size=1)
    if preview.count != confirmed_count:
        raise Refused(
            f"Telnyx now holds {preview.count} matching recordings, not {confirmed_count}; "
            "check the preview again before deleting.",
            field_errors=[("confirm_count", f"The count is now {preview.count}.")],
        )
    target: dict[str, Any] = {"filters": {k: str(v) for k, v in preview.api_filters.items()}}
    with audited(
        user=user,
        action=AuditEntry.Action.RECORDINGS_BULK_DELETE,
        room_id=filters.room_id,
        session_id=filters.session_id,
        target=target,
    ) as outcome:
        held = held_recording_ids(filter_recordings(filters).values_list("telnyx_id", flat=True))
        if held:  # legal holds: delete the others one by one, by id
            deleted = _delete_unheld(preview.api_filters, held)
        else:
            with telnyx_call("delete the recordings"):
                deleted = get_client().delete_recordings(**preview.api_filters)
        target["deleted"] = deleted
        target["skipped_held"] = len(held)
        outcome.message = f"Deleted {deleted} recording{'s' if deleted != 1 else ''} in Telnyx."
        if held:
            outcome.message += f" Skipped {len(held)} under legal hold."
    local = filter_recordings(filters).exclude(telnyx_id__in=held)
    marked = list(local.order_by("-started_at")[:200])
    local.update(gone_upstream=True, gone_upstream_at=timezone.now())
    queue_sync()
    return BulkDeleteResult(deleted=deleted, marked=marked, skipped_held=len(held))


def _delete_unheld(api_filters: dict[str, Any], held: set[str]) -> int:
    """Delete by id every matching recording Telnyx holds except the held ones; returns how many."""
    client = get_client()
    with telnyx_call("list the recordings to delete"):
        ids = [r.id for r in client.iter_recordings(**api_filters) if r.id not in held]
    for recording_id in ids:
        with telnyx_call("delete the recordings"), suppress(NotFoundError):
            client.delete_recording(recording_id)
    return len(ids)


def delete_composition(*, user: Any, composition: Composition) -> None:
    """Delete one composition in Telnyx (already gone counts as done), mark it, audit it."""
    with audited(
        user=user,
        action=AuditEntry.Action.COMPOSITION_DELETE,
        room_id=composition.room_id,
        session_id=composition.session_id,
        target={"composition_id": composition.telnyx_id},
    ) as outcome:
        refuse_if_held(composition)
        with telnyx_call("delete the composition"), suppress(NotFoundError):  # already gone counts as deleted
            get_client().delete_composition(composition.telnyx_id)
        Composition.objects.filter(pk=composition.pk).update(
            gone_upstream=True, gone_upstream_at=timezone.now(), next_poll_at=None
        )
        outcome.message = f"Deleted composition {composition.telnyx_id}."
