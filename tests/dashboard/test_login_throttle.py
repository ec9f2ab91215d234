"""Sign-in is throttled per username and address; an admin (or a command) lifts a lockout."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from tests.conftest import PASSWORD

LOGIN = "/accounts/login/"


def _sign_in(client: Client, username: str, password: str, **extra: str):  # type: ignore[no-untyped-def]
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def _signed_in(client: Client) -> bool:
    return client.get("/").status_code == 200


@pytest.mark.django_db
def test_right_password_is_refused_with_a_message_after_the_failure_limit(viewer_user, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    client = Client()
    for _ in range(4):
        assert _sign_in(client, viewer_user.username, "wrong-password").status_code == 200
    # The fifth failure locks the account out from this address.
    assert _sign_in(client, viewer_user.username, "wrong-password").status_code == 429
    response = _sign_in(client, viewer_user.username, PASSWORD)
    assert response.status_code == 429
    text = response.content.decode()
    assert "Too many failed sign-ins" in text
    assert "15 minutes" in text
    assert 'name="username"' in text, "the lockout is shown on the login page, not a bare 403 text"
    assert not _signed_in(client)


@pytest.mark.django_db
def test_fewer_failures_than_the_limit_still_let_the_right_password_in(viewer_user):
    client = Client()
    for _ in range(4):
        _sign_in(client, viewer_user.username, "wrong-password")
    response = _sign_in(client, viewer_user.username, PASSWORD)
    assert response.status_code == 302
    assert _signed_in(client)


@pytest.mark.django_db
def test_lockout_is_per_username_and_address(viewer_user, moderator_user):
    attacker = Client()
    for _ in range(5):
        _sign_in(attacker, viewer_user.username, "wrong-password", REMOTE_ADDR="203.0.113.9")
    # The same account from another address, and another account from the attacker's address.
    assert _sign_in(Client(), viewer_user.username, PASSWORD, REMOTE_ADDR="198.51.100.4").status_code == 302
    assert _sign_in(Client(), moderator_user.username, PASSWORD, REMOTE_ADDR="203.0.113.9").status_code == 302


@pytest.mark.django_db
def test_an_admin_unlocks_a_locked_out_user_in_the_admin_site(viewer_user, admin_client):
    client = Client()
    for _ in range(5):
        _sign_in(client, viewer_user.username, "wrong-password")
    assert _sign_in(client, viewer_user.username, PASSWORD).status_code == 429

    # Admin-group members (not superusers) see the lockouts and delete the attempt to unlock.
    listing = admin_client.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200
    assert viewer_user.username in listing.content.decode()
    from axes.models import AccessAttempt

    attempt = AccessAttempt.objects.get(username=viewer_user.username)
    deleted = admin_client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    assert _sign_in(client, viewer_user.username, PASSWORD).status_code == 302
    assert _signed_in(client)


@pytest.mark.django_db
def test_axes_reset_username_command_unlocks(viewer_user):
    client = Client()
    for _ in range(5):
        _sign_in(client, viewer_user.username, "wrong-password")
    assert _sign_in(client, viewer_user.username, PASSWORD).status_code == 429
    call_command("axes_reset_username", viewer_user.username, verbosity=0)
    assert _sign_in(client, viewer_user.username, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_test_client_login_still_works(viewer_user):
    client = Client()
    assert client.login(username=viewer_user.username, password=PASSWORD)
    assert _signed_in(client)
    assert not Client().login(username=viewer_user.username, password="wrong-password")
