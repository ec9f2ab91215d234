"""A site with something behind every id (a live session, synced recordings and compositions, audit
entries, a webhook event) and one signed-in client per role, for the input property tests.

Hypothesis profiles: ``deterministic`` (the default, and what CI runs: the same examples every run,
no example database) and ``explore`` (random examples, more of them; ``--hypothesis-profile=explore``
or ``FUZZ_PROFILE=explore``; ``FUZZ_EXAMPLES`` per route and role, 100 unless set) for a deeper
look by hand.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone
from hypothesis import HealthCheck, settings

from audit.models import AuditEntry
from audit.services import record_action
from dashboard.roles import Role
from dashboard.telnyx import get_client
from governance.autocompose import LAYOUTS, RESOLUTIONS, add_rule
from governance.holds import add_hold
from governance.models import RetentionPolicy
from governance.shares import create_link
from recordings.models import Composition, Recording
from recordings.services.sync import sync_recordings
from webhooks.models import WebhookEvent

_COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    "print_blob": False,
}
settings.register_profile("deterministic", derandomize=True, database=None, max_examples=8, **_COMMON)
settings.register_profile("explore", max_examples=int(os.environ.get("FUZZ_EXAMPLES", "100")), **_COMMON)
settings.load_profile(os.environ.get("FUZZ_PROFILE", "deterministic"))

#: The roles a request can come from; ``None`` is a signed-in user the admin gave no role.
ROLES: tuple[Role | None, ...] = (Role.ADMIN, Role.MODERATOR, Role.VIEWER, None)


def _user(role: Role | None) -> User:
    """A user of ``role`` without a password (hashing four passwords would cost seconds per test)."""
    user = User.objects.create_user(username=f"fuzz-{role.value.lower() if role else 'norole'}")
    if role is not None:
        user.groups.add(Group.objects.get(name=role.value))
        user.is_staff = role is Role.ADMIN
        user.save(update_fields=["is_staff"])
    return user


@dataclass(frozen=True)
class Site:
    """Ids that exist, by the URL parameter name that takes them."""

    ids: dict[str, str]
    users: dict[Role | None, User]


@pytest.fixture
def site(telnyx_sandbox, settings) -> Site:  # type: ignore[no-untyped-def]
    settings.LIVE_SESSION_POLL_SECS = 0.5
    client = get_client()
    # History first (a past session with a recording and a composition), then today's live session.
    telnyx_sandbox.seed(rooms=1, sessions_per_room=1, participants_per_session=2, compositions_per_room=1)
    sync_recordings(full=True)
    room = client.create_room(unique_name="standup", max_participants=10, enable_recording=True)
    participants = [telnyx_sandbox.join(room.id, name)["id"] for name in ("alice", "bob")]
    session_id = client.get_room(room.id).active_session_id
    assert session_id, "the sandbox started no session"
    users = {role: _user(role) for role in ROLES}
    for action in (AuditEntry.Action.MUTE, AuditEntry.Action.ROOM_UPDATE):
        record_action(
            user=users[Role.ADMIN],
            action=action,
            succeeded=True,
            message="seeded",
            room_id=room.id,
            room_name="standup",
            session_id=session_id,
            target={"participants": participants[:1]},
        )
    event = WebhookEvent.objects.create(
        event_id=str(uuid.uuid4()),
        event_type="video.room.session.started",
        room_id=room.id,
        session_id=session_id,
        received_at=timezone.now(),
        raw_body="{}",
        accepted_by=WebhookEvent.AcceptedBy.SIGNATURE,
        apply_error="seeded failure",
    )
    recording = Recording.objects.filter(status="completed").first()
    composition = Composition.objects.first()
    assert recording is not None and composition is not None, "the sync brought no media"
    # Governance: one of each thing its pages address by id (a share link's token is the real one).
    hold = add_hold(user=users[Role.ADMIN], scope="recording", target_id=recording.telnyx_id, reason="seeded")
    policy = RetentionPolicy.objects.create(room_id=room.id, room_name="standup", recordings_days=30)
    rule = add_rule(
        user=users[Role.ADMIN],
        room_id=room.id,
        room_name="standup",
        resolution=RESOLUTIONS[0][0],
        layout=LAYOUTS[0][0],
    )
    link, share_token = create_link(
        user=users[Role.ADMIN], kind="recording", target_id=recording.telnyx_id, days=1
    )
    ids = {
        "hold_id": str(hold.pk),
        "policy_id": str(policy.pk),
        "rule_id": str(rule.pk),
        "link_id": str(link.pk),
        "telnyx_id": recording.telnyx_id,
        "room_id": room.id,
        "session_id": session_id,
        "recording_id": recording.telnyx_id,
        "composition_id": composition.telnyx_id,
        "pk": str(event.pk),
        "object_id": str(recording.pk),
        "id": str(users[Role.VIEWER].pk),
        "user_id": str(users[Role.VIEWER].pk),
        "content_type_id": "1",
        "token": "not-the-secret",
    }
    return Site(ids=ids, users=users)
