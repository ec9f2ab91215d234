"""Join links and QR codes for a token, when JOIN_URL_TEMPLATE is set."""

from __future__ import annotations

import pytest

from rooms.join_links import join_link


def test_no_template_no_link(settings):  # type: ignore[no-untyped-def]
    settings.JOIN_URL_TEMPLATE = ""
    assert join_link(room_id="r", room_name="Lobby", token="t") is None


def test_the_link_quotes_its_parts_and_the_qr_code_is_plain_svg(settings):  # type: ignore[no-untyped-def]
    settings.JOIN_URL_TEMPLATE = "https://meet.example.com/{room_id}?name={room_name}&token={token}"
    link = join_link(room_id="abc", room_name="Town hall/2", token="a.b+c")
    assert link is not None
    assert link.url == "https://meet.example.com/abc?name=Town%20hall%2F2&token=a.b%2Bc"
    assert link.qr_svg.startswith("<svg") and "<path" in link.qr_svg
    assert "style" not in link.qr_svg and "<script" not in link.qr_svg  # the CSP allows neither


@pytest.mark.parametrize(
    "value", ["meet.example.com/{token}", "https://meet.example.com/{room}", "https://x/{room_id}"]
)
def test_a_bad_template_stops_the_settings(value):  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    env = {"JOIN_URL_TEMPLATE": value, "DJANGO_SECRET_KEY": "k" * 60, "DJANGO_HTTPS": "0", "PATH": ""}
    env["DASHBOARD_VAR_DIR"] = "var/test"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='dashboard.settings'; django.setup()",
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0 and "JOIN_URL_TEMPLATE" in result.stderr
