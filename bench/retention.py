"""Benchmark a retention run over 100,000 local recordings held by the sandbox.

Seeds the sandbox (sessions spread over the last 30 days), syncs them into a throwaway SQLite
database, puts one room under legal hold, then times the Policies-page preview, the dry run and the
real run (RETENTION_DAYS, default 15: about half is due), with the Telnyx calls each made (the
sandbox's own request counts). Anchor, measured in the same run: 1,000 plain client deletes of
recordings retention kept (the per-call cost of Telnyx alone), and the sync of the same data.

    .venv/bin/python bench/retention.py [--count 100000] [--days 15]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _setup_django(var_dir: str, sandbox, days: int) -> None:  # type: ignore[no-untyped-def]
    os.environ["DASHBOARD_VAR_DIR"] = var_dir
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
    os.environ["DJANGO_HTTPS"] = "0"
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("DATABASE_URL", None)
    os.environ["TELNYX_API_KEY"] = sandbox.api_key
    os.environ["TELNYX_API_BASE_URL"] = sandbox.base_url
    os.environ["RETENTION_DAYS"] = str(days)
    os.environ["DJANGO_SETTINGS_MODULE"] = "dashboard.settings"
    os.environ.setdefault("DASHBOARD_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _calls(sandbox) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {op: sum(by.values()) for op, by in sandbox.request_counts().items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000, help="recordings (default 100,000)")
    parser.add_argument("--days", type=int, default=15, help="RETENTION_DAYS (default 15)")
    args = parser.parse_args()

    from sandbox.testing import SandboxProcess

    with (
        tempfile.TemporaryDirectory(prefix="bench-retention-") as var_dir,
        SandboxProcess(api_key="KEYBENCHRETENTION", churn=0, recording_processing=0) as sandbox,
    ):
        _setup_django(var_dir, sandbox, args.days)
        from dashboard.telnyx import get_client
        from governance.holds import add_hold
        from governance.retention import apply_retention, preview
        from recordings.models import Recording
        from recordings.services.sync import sync_recordings

        rooms = 50
        sessions = max(1, args.count // (rooms * 4))
        seeded = sandbox.seed(rooms=rooms, sessions_per_room=sessions, participants_per_session=2)
        started = time.perf_counter()
        sync_recordings()
        sync_secs = time.perf_counter() - started
        total = Recording.objects.count()
        held_room = Recording.objects.order_by("room_id").values_list("room_id", flat=True).first()
        add_hold(user=None, scope="room", target_id=held_room, reason="bench")
        print(f"# Retention over {total:,} local recordings ({seeded['recordings']:,} in the sandbox)")
        print(f"anchor: full sync of the same data   {sync_secs:8.2f} s")

        sandbox.clear_request_counts()
        started = time.perf_counter()
        found = preview()
        preview_secs = time.perf_counter() - started
        print(
            f"preview (Policies page)  {preview_secs:8.2f} s  {sandbox.request_count()} Telnyx calls  "
            f"due {found.recordings.count:,} recordings, held {found.recordings.held:,}"
        )
        started = time.perf_counter()
        dry = apply_retention(dry_run=True)
        dry_secs = time.perf_counter() - started
        print(
            f"dry run                             {dry_secs:8.2f} s  {sandbox.request_count()} Telnyx calls  "
            f"would delete {dry.recordings:,} ({dry.size_mb:,.0f} MB)"
        )

        sandbox.clear_request_counts()
        started = time.perf_counter()
        run = apply_retention()
        run_secs = time.perf_counter() - started
        calls = _calls(sandbox)
        per_item_ms = run_secs / max(run.recordings, 1) * 1000
        print(
            f"real run                            {run_secs:8.2f} s  {sum(calls.values()):,} Telnyx calls  "
            f"deleted {run.recordings:,} ({run.size_mb:,.0f} MB), {per_item_ms:.2f} ms per item"
        )
        for op, n in sorted(calls.items()):
            print(f"    {op}: {n:,}")
        assert run.recordings == dry.recordings, "dry run and real run differ"
        left = Recording.objects.filter(gone_upstream=False).count()
        held_alive = Recording.objects.filter(room_id=held_room, gone_upstream=False).count()
        print(f"kept: {left:,} recordings, of which {held_alive:,} in the held room")

        client = get_client()
        kept = list(
            Recording.objects.filter(gone_upstream=False)
            .exclude(room_id=held_room)
            .values_list("telnyx_id", flat=True)[:1000]
        )
        started = time.perf_counter()
        for telnyx_id in kept:
            client.delete_recording(telnyx_id)
        anchor_ms = (time.perf_counter() - started) / max(len(kept), 1) * 1000
        print(f"anchor: plain client DELETE by id   {anchor_ms:8.2f} ms per call ({len(kept)} calls)")
        print(f"retention overhead per item over the bare call: {per_item_ms / anchor_ms:.2f}x")


if __name__ == "__main__":
    main()
