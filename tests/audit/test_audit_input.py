"""The audit log's filters and CSV under hostile values."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from audit.services import record_action

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "params", [{"room": "\x00"}, {"user": "a\x00b"}, {"action": "nope"}, {"room": "r" * 400}]
)
def test_bad_filters_are_refused_beside_their_field_not_a_500(admin_client, params):
    record_action(user=None, action=AuditEntry.Action.MUTE, succeeded=True, room_id="r1")
    response = admin_client.get(reverse("audit:list"), params)
    assert response.status_code == 200
    (field,) = params
    assert response.context["form"].errors[field]
    # A refused filter filters nothing.
    assert len(response.context["page"].object_list) == 1
    assert admin_client.get(reverse("audit:export"), params).status_code == 200


def test_every_csv_cell_a_user_could_influence_is_neutralised(admin_client, admin_user):
    record_action(
        user=admin_user,
        action=AuditEntry.Action.MUTE,
        succeeded=False,
        message="=HYPERLINK(1)",
        room_id="=1+cmd|calc",
        room_name="+evil",
        session_id="=1+cmd|calc",
        target={"participants": ["@SUM(A1)"]},
    )
    response = admin_client.get(reverse("audit:export"))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    row = dict(zip(rows[0], rows[1], strict=True))
    for column in ("room_id", "room_name", "session_id", "message"):
        assert row[column].startswith("'"), column
    assert row["target"] == "'participants: @SUM(A1)" or not row["target"].startswith(("=", "+", "-", "@"))


def test_an_accepted_action_is_recorded_even_when_its_values_overflow_the_columns():
    entry = record_action(
        user=None,
        action=AuditEntry.Action.TOKEN_GENERATE,
        succeeded=True,
        room_id="r" * 100,
        room_name="n" * 300 + "\x00",
        session_id="\x00s",
        target={"k\x00": ["v\x00"]},
    )
    entry.refresh_from_db()
    assert (len(entry.room_id), len(entry.room_name), entry.session_id) == (64, 255, "s")
    assert entry.target == {"k": ["v"]}
