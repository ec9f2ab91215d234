"""The three roles and what each may do.

Roles are Django groups created by a data migration (``dashboard/migrations/0002_roles.py``). Each
permission below is a custom permission on ``dashboard.Access``; every view declares the one it needs
with ``permission_required`` (a team can also grant one permission to one person).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase


class Role(StrEnum):
    ADMIN = "Admin"
    MODERATOR = "Moderator"
    VIEWER = "Viewer"


# codename -> sentence, in the order the admin site lists them.
PERMISSIONS: dict[str, str] = {
    "view_dashboard": "See rooms, sessions, participants, recordings and compositions",
    "download_recordings": "Play and download recordings and compositions",
    "create_compositions": "Build compositions of ended sessions",
    "moderate_sessions": "Mute, unmute and kick participants and end sessions",
    "create_join_tokens": "Generate and refresh join tokens",
    "manage_rooms": "Create, edit and delete rooms",
    "delete_recordings": "Delete recordings and compositions",
    "view_all_audit": "See every user's entries in the audit log",
    "manage_users": "Add people, set their role, deactivate them and reset their password",
}

VIEWER_PERMISSIONS = ("view_dashboard", "download_recordings", "create_compositions")
MODERATOR_PERMISSIONS = (*VIEWER_PERMISSIONS, "moderate_sessions", "create_join_tokens")
ADMIN_PERMISSIONS = (
    *MODERATOR_PERMISSIONS,
    "manage_rooms",
    "delete_recordings",
    "view_all_audit",
    "manage_users",
)

ROLE_PERMISSIONS: dict[Role, tuple[str, ...]] = {
    Role.VIEWER: VIEWER_PERMISSIONS,
    Role.MODERATOR: MODERATOR_PERMISSIONS,
    Role.ADMIN: ADMIN_PERMISSIONS,
}

# Admins also manage the local records and accounts through Django's admin site.
ADMIN_MODEL_APPS = ("auth", "audit", "recordings", "dashboard")

_RANK = {Role.ADMIN: 3, Role.MODERATOR: 2, Role.VIEWER: 1}


def role_shown(user: AbstractBaseUser | AnonymousUser) -> Role | None:
    """The role whose permissions the user holds, for the header: read from the permissions Django
    has already loaded for this request (the view's permission check), so it costs no query."""
    if not isinstance(user, get_user_model()) or not user.is_authenticated:
        return None
    for role in (Role.ADMIN, Role.MODERATOR, Role.VIEWER):
        if user.has_perms([f"dashboard.{codename}" for codename in ROLE_PERMISSIONS[role]]):
            return role
    return None


def role_of(user: AbstractBaseUser | AnonymousUser) -> Role | None:
    """The highest role the user holds; superusers count as Admin."""
    if not isinstance(user, get_user_model()) or not user.is_authenticated:
        return None
    if user.is_superuser:
        return Role.ADMIN
    names = {group.name for group in user.groups.all()}
    held = [role for role in Role if role.value in names]
    return max(held, key=_RANK.__getitem__) if held else None


def sync_role_groups(group_model: Any, permission_model: Any, *, partial: bool = False) -> None:
    """Create the three groups and give each exactly its permissions.

    Takes the models as arguments so the data migration can pass its historical models. Admin also
    receives every model permission of ``ADMIN_MODEL_APPS`` (to use Django's admin site); it runs
    again after every ``migrate`` so models added later are covered.

    ``partial``: grant only the permissions that exist yet (a data migration runs against the
    permissions of its time; ``migrate`` ends with a full sync).
    """
    custom = {p.codename: p for p in permission_model.objects.filter(content_type__app_label="dashboard")}
    missing = set(PERMISSIONS) - set(custom)
    if missing and not partial:
        raise RuntimeError(f"Permissions not created yet: {', '.join(sorted(missing))}")
    model_permissions = list(
        permission_model.objects.filter(content_type__app_label__in=ADMIN_MODEL_APPS).exclude(
            content_type__app_label="dashboard", codename__in=list(PERMISSIONS)
        )
    )
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role.value)
        wanted = [custom[c] for c in codenames if c in custom]
        if role is Role.ADMIN:
            wanted += model_permissions
        group.permissions.set(wanted)


View = TypeVar("View", bound=Callable[..., HttpResponseBase])


def permission_required(codename: str) -> Callable[[View], View]:
    """The view answers 403 (the product's page) unless the user holds ``dashboard.<codename>``.

    Signed-out users never get here: ``LoginRequiredMiddleware`` sends them to the login page first.
    """
    if codename not in PERMISSIONS:
        raise ValueError(f"unknown permission {codename!r}")

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.has_perm(f"dashboard.{codename}"):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped  # type: ignore[return-value]  # wraps() keeps the signature View promises

    return decorator
