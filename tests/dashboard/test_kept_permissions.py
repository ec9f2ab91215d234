"""Permissions and sessions read from the shared cache: no query for either once kept, and every
change to roles or a sign-out takes effect on the very next request."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from dashboard.roles import Role
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _queries(client: Client, url: str) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        status = client.get(url).status_code
    return status, [q["sql"] for q in captured.captured_queries]


def test_a_second_page_reads_no_permissions_and_no_session_from_the_database() -> None:
    client = _signed_in(make_user("ana", Role.VIEWER))
    status, _ = _queries(client, "/audit/")
    assert status == 200
    status, sql = _queries(client, "/audit/")
    assert status == 200
    assert not [q for q in sql if "auth_permission" in q], sql
    assert not [q for q in sql if "django_session" in q], sql


def test_losing_a_role_is_refused_on_the_next_request() -> None:
    user = make_user("ben", Role.ADMIN)
    client = _signed_in(user)
    assert client.get("/people/").status_code == 200
    user.groups.clear()
    user.groups.add(Group.objects.get(name=Role.VIEWER.value))
    assert client.get("/people/").status_code == 403
    assert client.get("/audit/").status_code == 200


def test_a_permission_taken_from_a_group_is_refused_on_the_next_request() -> None:
    client = _signed_in(make_user("cleo", Role.VIEWER))
    assert client.get("/audit/").status_code == 200
    viewer = Group.objects.get(name=Role.VIEWER.value)
    viewer.permissions.remove(Permission.objects.get(codename="view_dashboard"))
    assert client.get("/audit/").status_code == 403


def test_a_deleted_group_takes_its_permissions_along() -> None:
    group = Group.objects.create(name="Temporary")
    group.permissions.add(Permission.objects.get(codename="view_dashboard"))
    user = make_user("dev", None)
    user.groups.add(group)
    client = _signed_in(user)
    assert client.get("/audit/").status_code == 200
    group.delete()  # a cascade: no many-to-many signal, only the group's post_delete
    assert client.get("/audit/").status_code == 403


def test_a_user_made_inactive_or_superuser_is_seen_at_once() -> None:
    user = make_user("eli", None)
    client = _signed_in(user)
    assert client.get("/audit/").status_code == 403
    User.objects.filter(pk=user.pk).update(is_superuser=True)  # no signal: the flag is read fresh
    assert client.get("/audit/").status_code == 200


def test_a_signed_out_session_is_gone_from_the_cache_too() -> None:
    client = _signed_in(make_user("fay", Role.VIEWER))
    assert client.get("/audit/").status_code == 200
    cookie = client.cookies["sessionid"].value
    client.post("/accounts/logout/")
    replay = Client()
    replay.cookies["sessionid"] = cookie
    assert replay.get("/audit/").status_code == 302  # to the login page


def test_pages_still_answer_when_the_cache_cannot_be_reached(settings) -> None:  # type: ignore[no-untyped-def]
    client = _signed_in(make_user("gus", Role.VIEWER))
    assert client.get("/audit/").status_code == 200
    # Nothing listens on port 1: every cache read and write fails (Django's test signals rebuild
    # the cache handlers when CACHES changes).
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    assert client.get("/audit/").status_code == 200
    assert client.get("/people/").status_code == 403
