"""The navigation bar shows each role the pages it may open, the audit log included."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from dashboard.roles import Role
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def nav_labels(client: Client) -> list[str]:
    response = client.get(reverse("audit:list"))
    return [label for _url, label in response.context["nav_entries"]]


def test_every_role_finds_the_audit_log_in_the_menu(admin_client, moderator_client, viewer_client):
    for client in (admin_client, moderator_client, viewer_client):
        assert "Audit log" in nav_labels(client)
        assert 'href="/audit/"' in client.get(reverse("audit:list")).content.decode()


def test_a_signed_in_user_without_a_role_gets_no_menu_and_a_403():
    client = Client()
    client.force_login(make_user("nobody", None))
    response = client.get(reverse("audit:list"))
    assert response.status_code == 403


def test_the_header_names_each_role(admin_client, moderator_client, viewer_client):
    for client, role in (
        (admin_client, Role.ADMIN),
        (moderator_client, Role.MODERATOR),
        (viewer_client, Role.VIEWER),
    ):
        response = client.get(reverse("audit:list"))
        assert response.context["user_role"] is role
        assert f">{role.value}<" in response.content.decode()
