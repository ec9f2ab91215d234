"""Governance's audit entries are actions the audit page knows: offered by its Action filter, read as
words, and a share link's use filed under access."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEntry
from governance.holds import HOLD_ADD, HOLD_RELEASE, add_hold, release_hold
from governance.retention import RETENTION_RUN
from governance.shares import SHARE_CREATE, SHARE_REVOKE, SHARE_USE, create_link, revoke_link
from recordings.models import Recording

pytestmark = pytest.mark.django_db

GOVERNANCE_ACTIONS = {
    RETENTION_RUN: "Retention run",
    HOLD_ADD: "Legal hold set",
    HOLD_RELEASE: "Legal hold released",
    SHARE_CREATE: "Share link made",
    SHARE_REVOKE: "Share link revoked",
    SHARE_USE: "Share link used",
}


def test_the_action_filter_offers_every_governance_action(admin_client) -> None:  # type: ignore[no-untyped-def]
    body = admin_client.get(reverse("audit:list")).content.decode()
    for value, label in GOVERNANCE_ACTIONS.items():
        assert f'<option value="{value}">{label}</option>' in body


def test_governance_entries_read_as_words_and_share_uses_are_access(admin_client, admin_user) -> None:  # type: ignore[no-untyped-def]
    recording = Recording.objects.create(
        telnyx_id="00000000-0000-4000-8000-000000000001", room_id="room-1", session_id="sess-1"
    )
    hold = add_hold(user=admin_user, scope="recording", target_id=recording.telnyx_id, reason="subpoena")
    release_hold(user=admin_user, hold_id=hold.pk, is_admin=True)
    link, token = create_link(user=admin_user, kind="recording", target_id=recording.telnyx_id, days=2)
    assert Client().get(reverse("share:page", args=[token]), REMOTE_ADDR="198.51.100.7").status_code == 200
    revoke_link(user=admin_user, link_id=link.pk)

    used = AuditEntry.objects.get(action=SHARE_USE)
    assert used.username == f"share link {link.pk}" and "198.51.100.7" in used.message
    assert used.category == AuditEntry.Category.ACCESS
    page = admin_client.get(reverse("audit:list")).content.decode()
    for action in (HOLD_ADD, HOLD_RELEASE, SHARE_CREATE, SHARE_REVOKE, SHARE_USE):
        assert GOVERNANCE_ACTIONS[action] in page
    access = admin_client.get(reverse("audit:list"), {"category": "access"}).context["page"].object_list
    changes = admin_client.get(reverse("audit:list"), {"category": "change"}).context["page"].object_list
    assert {e.action for e in access} == {SHARE_USE}
    assert {e.action for e in changes} == {HOLD_ADD, HOLD_RELEASE, SHARE_CREATE, SHARE_REVOKE}
    only_holds = admin_client.get(reverse("audit:list"), {"action": HOLD_ADD}).context["page"].object_list
    assert [e.action for e in only_holds] == [HOLD_ADD]
