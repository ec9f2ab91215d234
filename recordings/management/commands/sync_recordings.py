"""``python manage.py sync_recordings [--full] [--since YYYY-MM-DD] [--retry-budget SECS]``: the same
sync as the beat task, run in the foreground."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dashboard.errors import UserError
from recordings.services import archive, sync
from recordings.services.sync_lease import RETRY_BUDGET_SECS


class Command(BaseCommand):
    help = "Sync recordings and compositions from Telnyx (incremental unless --full)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--full", action="store_true", help="Walk every page and mark what is gone upstream."
        )
        parser.add_argument(
            "--since", type=date.fromisoformat, help="List recordings started on or after this day."
        )
        parser.add_argument(
            "--retry-budget",
            type=float,
            default=RETRY_BUDGET_SECS,
            help="Seconds to keep retrying Telnyx's temporary errors (429, 5xx, timeouts) before giving up.",
        )

    def handle(
        self,
        *args: object,
        full: bool = False,
        since: date | None = None,
        retry_budget: float = RETRY_BUDGET_SECS,
        **options: object,
    ) -> None:
        if retry_budget < 0:
            raise CommandError("--retry-budget must be 0 or more seconds.")
        try:
            run = sync.sync_recordings(full=full, since=since, retry_budget_secs=retry_budget)
        except sync.SyncAlreadyRunning as exc:
            raise CommandError(exc.message) from None
        except UserError as exc:
            raise CommandError(f"The sync failed: {exc.message}") from None
        archive.queue_archive_tasks()
        resumed = f" (resumed after page {run.resumed_from.cursor_page})" if run.resumed_from else ""
        self.stdout.write(
            f"{run.kind} sync{resumed}: {run.seen} listed, {run.created} new, {run.updated} updated, "
            f"{run.gone} gone upstream, {run.compositions_seen} compositions, "
            f"{run.rows_written} rows written, {run.api_calls} API calls in {run.duration_secs:.1f}s"
        )
