"""Inputs the property tests found to answer 500, each kept as a focused regression test."""

from __future__ import annotations

import pytest

from recordings.models import Recording

pytestmark = pytest.mark.django_db

RECORDING_ID = "00000000-0000-4000-8000-0000000000d1"


@pytest.mark.parametrize(
    ("next_url", "location"), [("1", "1"), ("x", "x"), ("recordings:list", "/recordings/")]
)
def test_deleting_a_recording_with_a_next_that_is_no_path_redirects_not_500(
    admin_client, telnyx_sandbox, next_url, location
):
    # Found: POST /recordings/<id>/delete with next=1 answered 500 (redirect() took "1" for a view name).
    Recording.objects.create(telnyx_id=RECORDING_ID, status="completed")
    response = admin_client.post(f"/recordings/{RECORDING_ID}/delete", {"next": next_url})
    assert response.status_code == 302
    assert response["Location"] == location  # a relative one as given; another scheme: the list


def test_the_compositions_list_refuses_a_session_filter_that_is_no_id_not_500(viewer_client):
    # Found on PostgreSQL: GET /compositions/?session_id=%00 answered 500 (NUL reached the query).
    response = viewer_client.get("/compositions/", {"session_id": "\x00"})
    assert response.status_code == 200
    assert "That is not a session id" in response.content.decode()


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_composition_for_a_session_id_that_is_no_id_asks_neither_database_nor_telnyx(
    admin_client, telnyx_sandbox, method
):
    # Found on PostgreSQL: POST /compositions/new with session_id=0\x00 answered 500 (the layout's
    # sources were looked up with it before the form had checked it).
    response = getattr(admin_client, method)("/compositions/new", {"session_id": "0\x00", "action": "create"})
    assert response.status_code == 200
    assert telnyx_sandbox.request_count("GET /room_recordings") == 0
    if method == "post":
        assert "Null characters are not allowed" in response.content.decode()
