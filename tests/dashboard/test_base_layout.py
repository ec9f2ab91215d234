import pytest


@pytest.mark.django_db
def test_base_template_has_navigation_user_role_htmx_and_csrf_header(viewer_client, settings):
    settings.TELNYX_API_KEY = ""
    response = viewer_client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "vendor/htmx/htmx-2.0.11.min.js" in html
    assert "https://" not in html.split("<body")[0], "no CDN assets in <head>"
    assert 'hx-headers=\'{"X-CSRFToken": "' in html
    assert "vi-viewer" in html and ">Viewer<" in html
    assert '<a href="/" aria-current="page">Overview</a>' in html


@pytest.mark.django_db
def test_overview_shows_why_telnyx_is_not_usable_when_no_key(viewer_client, settings):
    settings.TELNYX_API_KEY = ""
    html = viewer_client.get("/").content.decode()
    assert "TELNYX_API_KEY is not set." in html


@pytest.mark.django_db
def test_htmx_requests_get_only_the_partial(viewer_client, settings):
    settings.TELNYX_API_KEY = ""
    response = viewer_client.get("/", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="system-status"')
    assert "<html" not in html


def test_flash_messages_render_with_their_level(rf, viewer_user):
    from django.contrib.messages import constants
    from django.contrib.messages.storage.base import Message
    from django.template.loader import render_to_string

    html = render_to_string(
        "partials/messages.html", {"messages": [Message(constants.ERROR, "Telnyx refused: room is full.")]}
    )
    assert '<li class="message error">Telnyx refused: room is full.</li>' in html
