"""``manage.py point_rooms_here``: every room without a webhook URL sends its events to this
dashboard (``DASHBOARD_PUBLIC_URL``), as the Webhooks page's button does; audited."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from dashboard.errors import UserError
from webhooks import room_urls


class Command(BaseCommand):
    help = "Set this dashboard's receiver URL on every room that has no webhook URL."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = room_urls.point_rooms_here(user=None)
        except UserError as exc:
            raise CommandError(exc.message) from exc
        for room, message in result.failed:
            self.stderr.write(f"{room.unique_name or room.id}: {message}")
        url = room_urls.receiver_url()
        self.stdout.write(f"{len(result.updated)} room(s) now send their events to {url}")
