"""People and their roles: add, change role, deactivate or reactivate, reset a password.

Every change is audited (``audit.services.record_action``). Two rules keep a team from locking
itself out: nobody deactivates or demotes their own account here, and the last active admin
stays an active admin.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import AbstractUser, Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet

from audit.models import AuditEntry
from audit.services import record_action
from dashboard.errors import Refused  # re-exported for callers and tests
from dashboard.roles import Role, role_of

User = get_user_model()

# Words for generated passwords: short, common, unambiguous (a password read out or typed once).
_WORDS = [
    "amber",
    "bison",
    "cedar",
    "delta",
    "ember",
    "fjord",
    "glade",
    "harbor",
    "iris",
    "juniper",
    "kestrel",
    "lumen",
    "maple",
    "nectar",
    "onyx",
    "pebble",
    "quartz",
    "raven",
    "sable",
    "tundra",
    "umber",
    "violet",
    "willow",
    "xenon",
    "yarrow",
    "zephyr",
]


@dataclass(frozen=True, slots=True)
class Person:
    user: AbstractUser
    role: Role | None


def people() -> list[Person]:
    """Every account, active first, by username, with its role (one query for the groups)."""
    users: QuerySet[Any] = User.objects.order_by("-is_active", "username").prefetch_related(
        Prefetch("groups", queryset=Group.objects.only("name"))
    )
    return [Person(user=u, role=role_of(u)) for u in users]


def generate_password() -> str:
    """Four words and four digits: about 35 bits, shown once and meant to be changed."""
    words = [secrets.choice(_WORDS) for _ in range(4)]
    return "-".join(words) + f"-{secrets.randbelow(10_000):04d}"


def _audit(actor: Any, action: AuditEntry.Action, person: Any, message: str, **target: Any) -> None:
    record_action(
        user=actor,
        action=action,
        succeeded=True,
        message=message,
        target={"username": person.get_username(), **target},
    )


def _refuse(actor: Any, action: AuditEntry.Action, username: str, message: str, field: str = "") -> Refused:
    record_action(user=actor, action=action, succeeded=False, message=message, target={"username": username})
    return Refused(message, field_errors=[(field, message)] if field else None)


def _set_role(user: Any, role: Role) -> None:
    user.groups.remove(*Group.objects.filter(name__in=[r.value for r in Role]))
    user.groups.add(Group.objects.get(name=role.value))
    # Admins may also open Django's admin site (lockouts live there); the other roles never.
    user.is_staff = role is Role.ADMIN
    user.save(update_fields=["is_staff"])


def _check_password(password: str, candidate: Any) -> None:
    try:
        password_validation.validate_password(password, candidate)
    except ValidationError as exc:
        raise Refused(
            "That password is too weak: " + " ".join(exc.messages),
            field_errors=[("password", " ".join(exc.messages))],
        ) from None


def add_person(*, actor: Any, username: str, email: str, role: Role, password: str = "") -> tuple[Any, str]:
    """Create an active account with ``role``; returns it and the password to hand over (the one
    typed, or a generated one when none was)."""
    username = username.strip()
    if User.objects.filter(username__iexact=username).exists():
        raise _refuse(
            actor, AuditEntry.Action.USER_CREATE, username, f"{username} already has an account.", "username"
        )
    chosen = password or generate_password()
    candidate = User(username=username, email=email)
    _check_password(chosen, candidate)
    with transaction.atomic():
        user = User.objects.create_user(username=username, email=email, password=chosen)
        _set_role(user, role)
    _audit(actor, AuditEntry.Action.USER_CREATE, user, f"Added {username} as {role.value}.", role=role.value)
    return user, chosen


def _active_admins_besides(user: Any) -> int:
    admins = User.objects.filter(is_active=True).exclude(pk=user.pk)
    return sum(1 for u in admins.prefetch_related("groups") if role_of(u) is Role.ADMIN)


def change_role(*, actor: Any, person: Any, role: Role) -> str:
    """Give ``person`` exactly ``role``. Refuses demoting oneself or the last active admin."""
    current = role_of(person)
    name = person.get_username()
    if current is role:
        return f"{name} is already {role.value}."
    if person.is_superuser:
        raise _refuse(
            actor,
            AuditEntry.Action.USER_ROLE,
            name,
            f"{name} is a superuser (always Admin); change that with manage.py, not here.",
        )
    if current is Role.ADMIN and person.pk == actor.pk:
        raise _refuse(
            actor, AuditEntry.Action.USER_ROLE, name, "You cannot take the Admin role from yourself."
        )
    if current is Role.ADMIN and person.is_active and _active_admins_besides(person) == 0:
        raise _refuse(actor, AuditEntry.Action.USER_ROLE, name, f"{name} is the last active admin.")
    with transaction.atomic():
        _set_role(person, role)
    before = current.value if current else "no role"
    message = f"{name} is now {role.value} (was {before})."
    _audit(actor, AuditEntry.Action.USER_ROLE, person, message, role=role.value, was=before)
    return message


def set_active(*, actor: Any, person: Any, active: bool) -> str:
    """Deactivate (cannot sign in; the account and its audit entries stay) or reactivate."""
    name = person.get_username()
    action = AuditEntry.Action.USER_REACTIVATE if active else AuditEntry.Action.USER_DEACTIVATE
    if person.is_active == active:
        return f"{name} is already {'active' if active else 'deactivated'}."
    if not active and person.pk == actor.pk:
        raise _refuse(actor, action, name, "You cannot deactivate your own account.")
    if not active and role_of(person) is Role.ADMIN and _active_admins_besides(person) == 0:
        raise _refuse(actor, action, name, f"{name} is the last active admin.")
    person.is_active = active
    person.save(update_fields=["is_active"])
    message = f"{name} {'can sign in again' if active else 'is deactivated: they cannot sign in'}."
    _audit(actor, action, person, message)
    return message


def reset_password(*, actor: Any, person: Any, password: str = "") -> str:
    """Set a new password (the one typed, or a generated one) and return it, to be handed over once.

    Their other sessions end: Django signs out every session whose password hash changed.
    """
    chosen = password or generate_password()
    _check_password(chosen, person)
    person.set_password(chosen)
    person.save(update_fields=["password"])
    _audit(actor, AuditEntry.Action.USER_PASSWORD, person, f"New password set for {person.get_username()}.")
    return chosen
