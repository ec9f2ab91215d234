"""People: who may manage them, the rules that keep a team from locking itself out, the audit."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from audit.models import AuditEntry
from dashboard.roles import Role, role_of
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_only_admins_open_the_people_page(admin_client, moderator_client, viewer_client):  # type: ignore[no-untyped-def]
    assert admin_client.get(reverse("accounts:people")).status_code == 200
    for client in (moderator_client, viewer_client):
        assert client.get(reverse("accounts:people")).status_code == 403
        assert client.post(reverse("accounts:add"), {"username": "x", "role": "Admin"}).status_code == 403
    labels = [label for _u, label in admin_client.get("/").context["nav_entries"]]
    assert "People" in labels
    assert "People" not in [label for _u, label in viewer_client.get("/").context["nav_entries"]]


def test_adding_a_person_hands_over_a_generated_password_once(admin_client):  # type: ignore[no-untyped-def]
    response = admin_client.post(reverse("accounts:add"), {"username": "dora", "role": "Viewer"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    password = response.context["handover"]["password"]
    dora = User.objects.get(username="dora")
    assert dora.check_password(password) and role_of(dora) is Role.VIEWER and not dora.is_staff
    entry = AuditEntry.objects.get(action=AuditEntry.Action.USER_CREATE)
    assert entry.target["username"] == "dora" and entry.succeeded
    assert password not in str(entry.target) + entry.message
    # Shown once: the list afterwards does not carry it.
    assert password not in admin_client.get(reverse("accounts:people")).content.decode()


def test_bad_input_is_answered_beside_the_field(admin_client):  # type: ignore[no-untyped-def]
    make_user("erin", Role.VIEWER)
    cases = [
        ({"username": "erin", "role": "Viewer"}, "username", "already has an account"),
        ({"username": "new one!", "role": "Viewer"}, "username", "Enter a valid username"),
        ({"username": "frank", "role": "Owner"}, "role", "Select a valid choice"),
        ({"username": "frank", "role": "Viewer", "password": "123"}, "password", "too short"),
    ]
    for data, field, text in cases:
        response = admin_client.post(reverse("accounts:add"), data)
        assert response.status_code == 400, data
        errors = " ".join(response.context["add_form"].errors.get(field, []))
        assert text in errors, (data, errors)
    assert not User.objects.filter(username="frank").exists()


def test_an_admin_cannot_demote_or_deactivate_themselves(admin_client, admin_user):  # type: ignore[no-untyped-def]
    admin_client.post(reverse("accounts:role", args=[admin_user.pk]), {"role": "Viewer"})
    admin_client.post(reverse("accounts:active", args=[admin_user.pk]), {"active": "0"})
    admin_user.refresh_from_db()
    assert role_of(admin_user) is Role.ADMIN and admin_user.is_active
    refused = AuditEntry.objects.filter(succeeded=False).values_list("action", flat=True)
    assert set(refused) == {AuditEntry.Action.USER_ROLE, AuditEntry.Action.USER_DEACTIVATE}


def test_the_last_active_admin_stays_one(client, admin_user):  # type: ignore[no-untyped-def]
    from accounts import services

    other = make_user("other-admin", Role.ADMIN)
    services.set_active(actor=other, person=other, active=True)  # no-op
    assert "Viewer" in services.change_role(actor=admin_user, person=other, role=Role.VIEWER)
    with pytest.raises(services.Refused):
        services.change_role(actor=other, person=admin_user, role=Role.VIEWER)
    with pytest.raises(services.Refused):
        services.set_active(actor=other, person=admin_user, active=False)


def test_deactivated_people_cannot_sign_in_and_reactivate(admin_client, client):  # type: ignore[no-untyped-def]
    from tests.conftest import PASSWORD

    gail = make_user("gail", Role.MODERATOR)
    admin_client.post(reverse("accounts:active", args=[gail.pk]), {"active": "0"})
    assert not client.login(username="gail", password=PASSWORD)
    admin_client.post(reverse("accounts:active", args=[gail.pk]), {"active": "1"})
    assert client.login(username="gail", password=PASSWORD)


def test_password_reset_sets_a_new_one_and_audits_it(admin_client):  # type: ignore[no-untyped-def]
    from tests.conftest import PASSWORD

    hal = make_user("hal", Role.VIEWER)
    response = admin_client.post(reverse("accounts:password", args=[hal.pk]), {})
    new = response.context["handover"]["password"]
    hal.refresh_from_db()
    assert hal.check_password(new) and not hal.check_password(PASSWORD)
    assert AuditEntry.objects.filter(action=AuditEntry.Action.USER_PASSWORD, target__username="hal").exists()
