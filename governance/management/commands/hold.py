"""``python manage.py hold add|release|list``: legal holds from the command line (acts as "system",
an administrator of the machine)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dashboard.errors import UserError
from governance.holds import active_holds, add_hold, release_hold
from governance.models import LegalHold


class Command(BaseCommand):
    help = "Add, release or list legal holds."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Put a room, session, recording or composition under hold.")
        target = add.add_mutually_exclusive_group(required=True)
        for scope in LegalHold.Scope.values:
            target.add_argument(f"--{scope}", metavar="ID")
        add.add_argument("--reason", required=True)
        release = sub.add_parser("release", help="Release a hold by its number.")
        release.add_argument("hold_id", type=int)
        listing = sub.add_parser("list", help="List active holds (--all: released ones too).")
        listing.add_argument("--all", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "add":
                scope = next(s for s in LegalHold.Scope.values if options.get(s))
                hold = add_hold(user=None, scope=scope, target_id=options[scope], reason=options["reason"])
                self.stdout.write(f"hold {hold.pk}: {hold.scope} {hold.target_id} held ({hold.reason})")
            elif options["action"] == "release":
                hold = release_hold(user=None, hold_id=options["hold_id"], is_admin=True)
                self.stdout.write(f"hold {hold.pk} released")
            else:
                holds = LegalHold.objects.all() if options["all"] else active_holds()
                for hold in holds:
                    state = "active" if hold.active else f"released {hold.released_at:%Y-%m-%d %H:%M}"
                    self.stdout.write(
                        f"{hold.pk}\t{hold.scope}\t{hold.target_id}\t{state}\t"
                        f"{hold.created_by_name}\t{hold.created_at:%Y-%m-%d %H:%M}\t{hold.reason}"
                    )
        except UserError as exc:
            raise CommandError(exc.message) from exc
