"""``python manage.py recount_recordings``: add the whole recordings table up again and keep that as
the figures the pages show (the daily task does the same). A repair: the database keeps the figures
right on every write; after a data-only restore or a hand edit with triggers off they may not be."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from recordings.services import totals


class Command(BaseCommand):
    help = "Add up the recordings' figures (count, size, duration per day, rooms) from the whole table."

    def handle(self, *args: object, **options: object) -> None:
        started = time.perf_counter()
        totals.recount_totals()
        figures = totals.read_figures()
        count = sum(bucket[4] for bucket in figures.buckets)
        self.stdout.write(
            f"{count} recordings in {len(figures.buckets)} day buckets and {len(figures.rooms)} rooms, "
            f"added up in {time.perf_counter() - started:.1f}s"
        )
