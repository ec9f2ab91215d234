from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from recordings.models import Composition, Recording, SyncRun
from recordings.services.browse import overview_stats

pytestmark = pytest.mark.django_db


def test_overview_stats_counts_live_recordings_and_compositions_in_progress() -> None:
    Recording.objects.create(telnyx_id="a", size_mb=1.5, started_at=timezone.now())
    Recording.objects.create(telnyx_id="b", size_mb=2.0, first_seen_at=timezone.now() - timedelta(days=3))
    Recording.objects.create(telnyx_id="c", size_mb=9.0, gone_upstream=True)
    Composition.objects.create(telnyx_id="x", status="processing")
    Composition.objects.create(telnyx_id="y", status="completed")
    Composition.objects.create(telnyx_id="z", status="enqueued", stalled_at=timezone.now())
    run = SyncRun.objects.create(kind="full", outcome="succeeded")

    stats = overview_stats()

    assert stats["total_recordings"] == 2
    assert stats["total_size_mb"] == 3.5
    assert stats["recordings_synced_today"] == 2  # a and c were first seen today
    assert [c.telnyx_id for c in stats["compositions_in_progress"]] == ["x"]
    assert stats["compositions_stalled"] == 1
    assert stats["last_sync"] == run
