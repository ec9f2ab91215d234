"""Retention: the dry run counts exactly what the real run deletes, by id; held items survive."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from audit.models import AuditEntry
from dashboard.telnyx import get_client
from governance.holds import add_hold
from governance.models import LegalHold, RetentionDeletion, RetentionPolicy, RetentionRun
from governance.retention import RETENTION_RUN, apply_retention, preview
from recordings.models import Composition, Recording
from recordings.services.sync import sync_recordings

pytestmark = pytest.mark.django_db


@pytest.fixture
def synced(telnyx_sandbox):  # type: ignore[no-untyped-def]
    telnyx_sandbox.seed(rooms=4, sessions_per_room=6, participants_per_session=2, compositions_per_room=3)
    sync_recordings()
    return telnyx_sandbox


def _command(*args: str) -> str:
    out = StringIO()
    call_command("apply_retention", *args, stdout=out)
    return out.getvalue()


def test_unset_retention_keeps_everything(synced, settings) -> None:  # type: ignore[no-untyped-def]
    settings.RETENTION_DAYS = None
    synced.clear_request_counts()
    assert _command().startswith("retention: deleted 0 recordings and 0 compositions (0.0 MB)")
    assert synced.request_count("DELETE /room_recordings/{room_recording_id}") == 0
    assert Recording.objects.filter(gone_upstream=True).count() == 0


def test_dry_run_equals_real_run_and_deletes_by_id(synced, settings) -> None:  # type: ignore[no-untyped-def]
    settings.RETENTION_DAYS = 15
    settings.RETENTION_BATCH_SIZE = 7  # several batches
    # One room keeps its recordings for ever but deletes compositions after a day.
    kept_room = Recording.objects.order_by("room_id").values_list("room_id", flat=True).first()
    RetentionPolicy.objects.create(room_id=kept_room, recordings_days=None, compositions_days=1)
    expected = preview()
    due_recordings = expected.recordings.count
    due_compositions = expected.compositions.count
    assert 0 < due_recordings < Recording.objects.count()
    assert due_compositions > 0

    dry = _command("--dry-run")
    size = f"{expected.size_mb:.1f} MB"
    assert dry.splitlines()[0] == (
        f"retention: would delete {due_recordings} recordings and {due_compositions} compositions ({size})"
    )
    assert Recording.objects.filter(gone_upstream=True).count() == 0

    synced.clear_request_counts()
    real = _command()
    assert real.splitlines()[0] == (
        f"retention: deleted {due_recordings} recordings and {due_compositions} compositions ({size})"
    )
    # One DELETE by id per item, never the bulk filter endpoint.
    assert synced.request_count("DELETE /room_recordings/{room_recording_id}") == due_recordings
    assert synced.request_count("DELETE /room_recordings") == 0
    assert synced.request_count("DELETE /room_compositions/{room_composition_id}") == due_compositions
    assert Recording.objects.filter(gone_upstream=True).count() == due_recordings
    assert not Recording.objects.filter(room_id=kept_room, gone_upstream=True).exists()
    remaining = {r.id for r in get_client().iter_recordings()}
    assert len(remaining) == Recording.objects.count() - due_recordings

    run = RetentionRun.objects.get(dry_run=False)
    assert (run.recordings, run.compositions, run.outcome) == (due_recordings, due_compositions, "succeeded")
    deleted_ids = set(
        RetentionDeletion.objects.filter(run=run, kind="recording").values_list("telnyx_id", flat=True)
    )
    assert deleted_ids == set(
        Recording.objects.filter(gone_upstream=True).values_list("telnyx_id", flat=True)
    )
    assert not deleted_ids & remaining
    entry = AuditEntry.objects.get(action=RETENTION_RUN)
    assert entry.target["recordings"] == due_recordings and entry.target["run_id"] == run.pk

    # Nothing left to do: the next run deletes nothing and calls Telnyx for nothing.
    synced.clear_request_counts()
    assert _command().startswith("retention: deleted 0 recordings and 0 compositions")
    assert synced.request_count("DELETE /room_recordings/{room_recording_id}") == 0


def test_held_items_survive_retention(synced, settings) -> None:  # type: ignore[no-untyped-def]
    settings.RETENTION_DAYS = 1
    recordings = list(Recording.objects.order_by("telnyx_id"))
    room_held = recordings[0].room_id
    session_held = next(r.session_id for r in recordings if r.room_id != room_held)
    single = next(r for r in recordings if r.room_id != room_held and r.session_id != session_held)
    composition = Composition.objects.exclude(room_id=room_held).first()
    add_hold(user=None, scope=LegalHold.Scope.ROOM, target_id=room_held, reason="litigation 42")
    add_hold(user=None, scope=LegalHold.Scope.SESSION, target_id=session_held, reason="HR case")
    add_hold(user=None, scope=LegalHold.Scope.RECORDING, target_id=single.telnyx_id, reason="complaint")
    add_hold(user=None, scope=LegalHold.Scope.COMPOSITION, target_id=composition.telnyx_id, reason="audit")

    run = apply_retention(now=timezone.now() + timedelta(days=60))  # everything is due
    held = Recording.objects.filter(room_id=room_held) | Recording.objects.filter(session_id=session_held)
    held = held | Recording.objects.filter(pk=single.pk)
    assert held.count() > 3
    assert not held.filter(gone_upstream=True).exists()
    assert Recording.objects.filter(gone_upstream=False).count() == held.count()
    assert run.recordings == Recording.objects.count() - held.count()
    assert run.skipped_held >= held.count()
    composition.refresh_from_db()
    assert not composition.gone_upstream
    live = {r.id for r in get_client().iter_recordings()}
    assert set(held.values_list("telnyx_id", flat=True)) == live
