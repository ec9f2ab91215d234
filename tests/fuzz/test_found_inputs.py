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
