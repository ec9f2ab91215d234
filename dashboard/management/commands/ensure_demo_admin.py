from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Create the demo admin account if it does not exist yet, printing its password once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin")

    def handle(self, *args: object, **options: object) -> None:
        username = str(options["username"])
        if get_user_model().objects.filter(username=username).exists():
            self.stdout.write(
                f"Demo admin '{username}' exists (its password was printed when it was created; "
                f"reset it with: python manage.py adduser {username} --role admin)."
            )
            return
        password = secrets.token_urlsafe(12)
        call_command("adduser", username, role="admin", password=password, stdout=self.stdout)
        self.stdout.write(self.style.WARNING(f"Demo admin created. Sign in as: {username} / {password}"))
        self.stdout.write("This password is shown only once.")
