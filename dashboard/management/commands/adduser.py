from __future__ import annotations

import getpass
import sys

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from dashboard.roles import Role

ROLE_CHOICES = {role.value.lower(): role for role in Role}


class Command(BaseCommand):
    help = "Create a dashboard user with a role, or change an existing user's role and password."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=sorted(ROLE_CHOICES))
        parser.add_argument("--password", help="Taken from a prompt when omitted.")
        parser.add_argument("--email", default="")

    def handle(self, *args: object, **options: object) -> None:
        username = str(options["username"]).strip()
        if not username:
            raise CommandError("USERNAME must not be empty.")
        role = ROLE_CHOICES[str(options["role"])]
        password = options["password"] or self._prompt_password()
        user_model = get_user_model()
        candidate = user_model(username=username, email=str(options["email"]))
        try:
            password_validation.validate_password(str(password), candidate)
        except ValidationError as exc:
            raise CommandError("Password refused: " + " ".join(exc.messages)) from None

        with transaction.atomic():
            user, created = user_model.objects.get_or_create(username=username)
            if options["email"]:
                user.email = str(options["email"])
            user.set_password(str(password))
            user.is_active = True
            # Admins use Django's admin site; the other roles never see it.
            user.is_staff = role is Role.ADMIN
            user.save()
            user.groups.remove(*Group.objects.filter(name__in=[r.value for r in Role]))
            user.groups.add(Group.objects.get(name=role.value))
        verb = "Created" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} {username} with the {role.value} role."))

    def _prompt_password(self) -> str:
        if not sys.stdin.isatty():
            raise CommandError("No terminal to ask for a password: pass --password.")
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords differ.")
        return first
