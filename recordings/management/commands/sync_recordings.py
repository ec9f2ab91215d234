"""``python manage.py sync_recordings [--full] [--since YYYY-MM-DD]``: the same sync as the beat task."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dashboard.errors import UserError
from recordings.services import archive, sync


class Command(BaseCommand):
    help = "Sync recordings and compositions from Telnyx (incremental unless --full)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--full", action="store_true", help="Walk every page and mark what is gone upstream."
        )
        parser.add_argument(
            "--since", type=date.fromisoformat, help="List recordings started on or after this day."
        )

    def handle(self, *args: object, full: bool = False, since: date | None = None, **options: object) -> None:
        try:
            run = sync.sync_recordings(full=full, since=since)
        except sync.SyncAlreadyRunning as exc:
            raise CommandError(exc.message) from None
        except UserError as exc:
            raise CommandError(f"The sync failed: {exc.message}") from None
        archive.queue_archive_tasks()
        self.stdout.write(
            f"{run.kind} sync: {run.seen} listed, {run.created} new, {run.updated} updated, "
            f"{run.gone} gone upstream, {run.compositions_seen} compositions, {run.api_calls} API calls "
            f"in {run.duration_secs:.1f}s"
        )
