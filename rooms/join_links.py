"""A join link for a token, and its QR code: handing a token to a person rather than pasting it.

``JOIN_URL_TEMPLATE`` (settings) is the address of the team's video client, with ``{room_id}``,
``{room_name}`` and ``{token}`` where they go, e.g. ``https://meet.example.com/{room_id}?token={token}``.
Unset, the token panel offers the token alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

import segno
from django.conf import settings


@dataclass(frozen=True, slots=True)
class JoinLink:
    url: str
    qr_svg: str  # an inline <svg> element, drawn on the server (no script, no image request)


def join_link(*, room_id: str, room_name: str, token: str) -> JoinLink | None:
    """The link and its QR code for ``token``, or None when no ``JOIN_URL_TEMPLATE`` is set."""
    template = settings.JOIN_URL_TEMPLATE
    if not template:
        return None
    url = template.format_map(
        {
            "room_id": quote(room_id, safe=""),
            "room_name": quote(room_name, safe=""),
            "token": quote(token, safe=""),
        }
    )
    return JoinLink(url=url, qr_svg=qr_svg(url))


def qr_svg(text: str) -> str:
    """``text`` as a QR code in an inline SVG (black modules on a transparent ground, scaled by CSS)."""
    code = segno.make(text, error="m", micro=False)
    return str(code.svg_inline(scale=4, border=2, dark="#000", light=None, omitsize=True))
