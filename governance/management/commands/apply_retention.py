"""``python manage.py apply_retention [--dry-run]``: the same run as the daily task."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dashboard.errors import UserError
from governance.retention import apply_retention, summary


class Command(BaseCommand):
    help = (
        "Delete the recordings and compositions the retention policies say are due (--dry-run counts them)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be deleted; delete nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = bool(options["dry_run"])
        try:
            run = apply_retention(dry_run=dry_run)
        except UserError as exc:
            raise CommandError(f"retention: {exc.message}") from exc
        line = summary(
            recordings=run.recordings, compositions=run.compositions, size_mb=run.size_mb, dry_run=dry_run
        )
        self.stdout.write(line)
        if run.skipped_held:
            self.stdout.write(
                f"retention: {run.skipped_held} held item{'s' if run.skipped_held != 1 else ''} kept"
            )
