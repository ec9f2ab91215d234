"""Fixtures shared by the whole suite: the three roles, a running sandbox, a browser, a worker."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from dashboard.roles import Role

pytest_plugins = ["tests.fixtures.sandbox", "tests.fixtures.celery_worker", "tests.fixtures.browser"]

PASSWORD = "correct-horse-battery-staple"


def make_user(username: str, role: Role | None) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD)
    if role is not None:
        user.groups.add(Group.objects.get(name=role.value))
        user.is_staff = role is Role.ADMIN
        user.save(update_fields=["is_staff"])
    return user


@pytest.fixture(autouse=True)
def _empty_cache():  # type: ignore[no-untyped-def]
    """Each test starts with no cached Telnyx data and no lock left by an earlier, interrupted run."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def admin_user(db) -> User:  # type: ignore[no-untyped-def]
    return make_user("ada-admin", Role.ADMIN)


@pytest.fixture
def moderator_user(db) -> User:  # type: ignore[no-untyped-def]
    return make_user("mo-moderator", Role.MODERATOR)


@pytest.fixture
def viewer_user(db) -> User:  # type: ignore[no-untyped-def]
    return make_user("vi-viewer", Role.VIEWER)


def _client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_client(admin_user: User) -> Client:
    return _client_for(admin_user)


@pytest.fixture
def moderator_client(moderator_user: User) -> Client:
    return _client_for(moderator_user)


@pytest.fixture
def viewer_client(viewer_user: User) -> Client:
    return _client_for(viewer_user)


@pytest.fixture(params=[Role.ADMIN, Role.MODERATOR, Role.VIEWER], ids=lambda r: r.value.lower())
def role_client(request, db) -> tuple[Role, Client]:  # type: ignore[no-untyped-def]
    """Each test using this runs once per role."""
    role = request.param
    return role, _client_for(make_user(f"user-{role.value.lower()}", role))


@pytest.fixture
def telnyx_sandbox(sandbox, settings):  # type: ignore[no-untyped-def]
    """Point the dashboard's Telnyx client at a freshly reset sandbox for this test."""
    settings.TELNYX_API_KEY = sandbox.api_key
    settings.TELNYX_API_BASE_URL = sandbox.base_url
    settings.TELNYX_WEBHOOK_PUBLIC_KEY = sandbox.webhook_public_key
    settings.TELNYX_MAX_RETRIES = 2
    settings.TELNYX_RETRY_MAX_WAIT = 0.5
    settings.TELNYX_READ_TIMEOUT = 5.0
    return sandbox
