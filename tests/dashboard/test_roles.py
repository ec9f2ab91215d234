"""Who may do what: the groups the data migration creates and the permissions each holds."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from dashboard.roles import PERMISSIONS, Role, role_of
from tests.conftest import make_user

# Every custom permission, and exactly which roles hold it.
EXPECTED = {
    "view_dashboard": {Role.ADMIN, Role.MODERATOR, Role.VIEWER},
    "download_recordings": {Role.ADMIN, Role.MODERATOR, Role.VIEWER},
    "create_compositions": {Role.ADMIN, Role.MODERATOR, Role.VIEWER},
    "moderate_sessions": {Role.ADMIN, Role.MODERATOR},
    "create_join_tokens": {Role.ADMIN, Role.MODERATOR},
    "manage_rooms": {Role.ADMIN},
    "delete_recordings": {Role.ADMIN},
    "view_all_audit": {Role.ADMIN},
    "manage_users": {Role.ADMIN},
}


def test_the_table_covers_every_permission():
    assert set(EXPECTED) == set(PERMISSIONS)


@pytest.mark.django_db
def test_groups_are_named_exactly():
    assert set(Group.objects.values_list("name", flat=True)) >= {"Admin", "Moderator", "Viewer"}


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
@pytest.mark.parametrize("codename", sorted(EXPECTED))
def test_each_role_holds_exactly_its_permissions(role, codename):
    user = make_user(f"u-{role.value}", role)
    assert user.has_perm(f"dashboard.{codename}") is (role in EXPECTED[codename])


@pytest.mark.django_db
def test_admins_use_the_admin_site_and_others_do_not(client):
    for role, allowed in [(Role.ADMIN, True), (Role.MODERATOR, False), (Role.VIEWER, False)]:
        client.force_login(make_user(f"site-{role.value}", role))
        response = client.get("/admin/")
        assert (response.status_code == 200) is allowed, role
        if not allowed:
            # The product's own 403 page, not the admin site's sign-in form.
            assert response.status_code == 403
            assert "You can't do that" in response.content.decode()
            assert client.get("/admin/login/").status_code == 403
            assert client.get("/admin/auth/user/").status_code == 403


@pytest.mark.django_db
def test_admin_group_can_manage_accounts_in_the_admin_site(client):
    user = make_user("groupadmin", Role.ADMIN)
    user.is_staff = False  # the group alone is enough
    user.save()
    client.force_login(user)
    assert client.get("/admin/auth/user/").status_code == 200


@pytest.mark.django_db
def test_a_user_without_a_group_has_no_role_and_no_permissions():
    user = make_user("nobody", None)
    assert role_of(user) is None
    assert not any(user.has_perm(f"dashboard.{c}") for c in PERMISSIONS)


@pytest.mark.django_db
def test_adduser_creates_and_changes_roles():
    call_command("adduser", "carol", role="moderator", password="a-long-enough-passphrase")
    from django.contrib.auth.models import User

    carol = User.objects.get(username="carol")
    assert role_of(carol) is Role.MODERATOR and not carol.is_staff
    assert carol.check_password("a-long-enough-passphrase")
    call_command("adduser", "carol", role="admin", password="another-long-passphrase")
    carol.refresh_from_db()
    assert role_of(carol) is Role.ADMIN and carol.is_staff
    assert list(carol.groups.values_list("name", flat=True)) == ["Admin"]


@pytest.mark.django_db
def test_adduser_refuses_weak_passwords_and_missing_terminal():
    with pytest.raises(CommandError, match="Password refused"):
        call_command("adduser", "dave", role="viewer", password="123")
    with pytest.raises(CommandError, match="pass --password"):
        call_command("adduser", "dave", role="viewer")


@pytest.mark.django_db
def test_adduser_rejects_an_unknown_role():
    with pytest.raises(CommandError):
        call_command("adduser", "erin", role="owner", password="a-long-enough-passphrase")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/rooms/",
        "/rooms/00000000-0000-4000-8000-000000000000/",
        "/sessions/",
        "/sessions/00000000-0000-4000-8000-000000000000/",
        "/sessions/00000000-0000-4000-8000-000000000000/attendance.csv",
        "/recordings/",
    ],
)
def test_a_user_without_a_role_sees_no_rooms_sessions_or_recordings(client, url):
    client.force_login(make_user("nobody", None))
    assert client.get(url).status_code == 403
