"""Deleting recordings and compositions in Telnyx: one at a time, or the previewed set of recordings.

Every deletion is audited; the local rows are kept and marked gone upstream, never dropped.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.utils import timezone

from audit.models import AuditEntry
from audit.services import audited
from dashboard.errors import Refused, telnyx_call
from dashboard.telnyx import MAX_PAGE_SIZE, NotFoundError, RoomRecording, get_client
from governance.holds import held_recording_ids, refuse_if_held
from recordings.models import Composition, Recording
from recordings.services.browse import RecordingFilters
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


BULK_DELETE_MAX = 500
BULK_DELETE_THREADS = 8
PREVIEW_SALT = "recordings.bulk-delete.preview"
PREVIEW_MAX_AGE_SECS = 3600


@dataclass
class BulkPreview:
    """What a bulk delete would remove: every matching id, read from Telnyx, and a token naming
    exactly that set (signed; the confirm carries it back)."""

    count: int
    sample: list[RoomRecording]
    api_filters: dict[str, Any]
    ids: list[str]
    token: str


class PreviewChanged(Refused):
    """The recordings matching the filters are no longer the set the user saw: nothing was deleted."""

    def __init__(self, message: str, *, preview: BulkPreview) -> None:
        super().__init__(message)
        self.preview = preview


def _set_digest(api_filters: dict[str, Any], ids: list[str]) -> str:
    named = repr(sorted((k, str(v)) for k, v in api_filters.items())) + "|" + " ".join(sorted(ids))
    return hashlib.sha256(named.encode()).hexdigest()


def previewed_count(token: str) -> int | None:
    """The count a preview token was made for, or None when the token is not one of ours (or too old)."""
    try:
        signed = signing.loads(token, salt=PREVIEW_SALT, max_age=PREVIEW_MAX_AGE_SECS)
    except signing.BadSignature:
        return None
    count = signed.get("n") if isinstance(signed, dict) else None
    return count if isinstance(count, int) else None


def preview_bulk_delete(*, filters: RecordingFilters, sample_size: int = 10) -> BulkPreview:
    """Every recording Telnyx holds for these filters (asked of Telnyx itself, at most
    ``BULK_DELETE_MAX``), a sample to show, and the token that names exactly this set."""
    if filters.is_empty:
        raise Refused("Choose at least one filter: deleting every recording is not allowed here.")
    api_filters = filters.as_api_filters()
    client = get_client()
    items: list[RoomRecording] = []
    with telnyx_call("list the matching recordings"):
        number = 1
        while True:
            page = client.list_recordings(page=number, page_size=MAX_PAGE_SIZE, **api_filters)
            if page.meta.total_results > BULK_DELETE_MAX:
                raise Refused(
                    f"{page.meta.total_results:,} recordings match; at most {BULK_DELETE_MAX} can be "
                    "deleted at once. Narrow the filters (a room, a session, a day) and delete in parts."
                )
            items += page.items
            if not page.items or page.meta.page_number >= page.meta.total_pages:
                break
            number += 1
    unique = {item.id: item for item in items}
    ids = sorted(unique)
    token = signing.dumps({"n": len(ids), "d": _set_digest(api_filters, ids)}, salt=PREVIEW_SALT)
    return BulkPreview(
        count=len(ids),
        sample=list(unique.values())[:sample_size],
        api_filters=api_filters,
        ids=ids,
        token=token,
    )


@dataclass
class BulkDeleteResult:
    deleted: int
    marked: list[Recording]
    skipped_held: int = 0


def _delete_one(recording_id: str) -> None:
    with suppress(NotFoundError):  # gone since the check: it was in the set, and it is gone
        get_client().delete_recording(recording_id)


def bulk_delete_recordings(*, user: Any, filters: RecordingFilters, preview_token: str) -> BulkDeleteResult:
    """Delete in Telnyx exactly the recordings the user previewed, by id, or nothing.

    Telnyx is asked again for the matching set; if it is not the set the preview token names
    (some vanished, some appeared), nothing is deleted and ``PreviewChanged`` carries the new
    preview. Otherwise each id is deleted with ``DELETE /room_recordings/{id}`` (a few at a time):
    a recording that appears meanwhile is never touched, as a filtered bulk delete would. The
    deleted rows are marked gone upstream, the action audited, and a sync queued.
    """
    try:
        signed = signing.loads(preview_token, salt=PREVIEW_SALT, max_age=PREVIEW_MAX_AGE_SECS)
    except signing.BadSignature:
        signed = {}
    current = preview_bulk_delete(filters=filters)
    if not isinstance(signed, dict) or signed.get("d") != _set_digest(current.api_filters, current.ids):
        raise PreviewChanged(
            f"The matching recordings changed since the preview (Telnyx now holds {current.count}); "
            "nothing was deleted. Check the new preview before deleting.",
            preview=current,
        )
    target: dict[str, Any] = {
        "filters": {k: str(v) for k, v in current.api_filters.items()},
        "recording_ids": current.ids,
    }
    deleted = 0
    with audited(
        user=user,
        action=AuditEntry.Action.RECORDINGS_BULK_DELETE,
        room_id=filters.room_id,
        session_id=filters.session_id,
        target=target,
    ) as outcome:
        held = held_recording_ids(current.ids)  # legal holds: everything else is deleted, by id
        to_delete = [rid for rid in current.ids if rid not in held]
        with telnyx_call("delete the recordings"), ThreadPoolExecutor(BULK_DELETE_THREADS) as pool:
            for _ in pool.map(_delete_one, to_delete):
                deleted += 1
        target["deleted"] = deleted
        target["skipped_held"] = len(held)
        outcome.message = f"Deleted {deleted} recording{'s' if deleted != 1 else ''} in Telnyx."
        if held:
            outcome.message += f" Skipped {len(held)} under legal hold."
    local = Recording.objects.filter(telnyx_id__in=to_delete)
    marked = list(local.order_by("-started_at")[:200])
    local.update(gone_upstream=True, gone_upstream_at=timezone.now())
    queue_sync()
    return BulkDeleteResult(deleted=deleted, marked=marked, skipped_held=len(held))


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
