"""How durations, sizes, days and times read on every page."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.template import Context, Template

from dashboard import display


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "—"),
        ("", "—"),
        (0, "0 s"),
        (45, "45 s"),
        (60, "1 min"),
        (3424, "57 min 4 s"),
        (3720, "1 h 02 min"),
        (150_272, "41 h 44 min"),
        (59.6, "1 min"),
    ],
)
def test_durations_read_in_hours_minutes_and_seconds(seconds, text):  # type: ignore[no-untyped-def]
    assert display.duration(seconds) == text


@pytest.mark.parametrize(
    ("mb", "text"),
    [
        (None, "—"),
        (0.0, "0 KB"),
        (0.512, "512 KB"),
        (12.34, "12.3 MB"),
        (512, "512 MB"),
        (1200, "1.20 GB"),
        (2_500_000, "2.50 TB"),
    ],
)
def test_sizes_pick_their_unit(mb, text):  # type: ignore[no-untyped-def]
    assert display.size_mb(mb) == text


def test_times_carry_the_configured_zone(settings):  # type: ignore[no-untyped-def]
    instant = datetime(2026, 1, 31, 14, 5, 9, tzinfo=UTC)
    assert display.when(instant) == "2026-01-31 14:05 UTC"
    assert display.clock(instant) == "14:05:09 UTC"
    settings.TIME_ZONE = "Europe/Paris"
    from django.utils import timezone

    timezone.deactivate()
    assert display.when(instant) == "2026-01-31 15:05 CET"
    assert display.day(date(2026, 1, 31)) == "2026-01-31"
    assert display.when(None) == "—"


def test_the_filters_are_builtins_of_every_template():
    rendered = Template("{{ s|duration }} · {{ mb|size_mb }} · {{ t|when }}").render(
        Context({"s": 3424, "mb": 0.5, "t": datetime(2026, 1, 31, 14, 5, tzinfo=UTC)})
    )
    assert rendered == "57 min 4 s · 500 KB · 2026-01-31 14:05 UTC"


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("", 9),
        ("short", 9),
        ("exactly-9", 9),
        ("0c1d2e3f-aaaa-bbbb-cccc-000000000000", 9),
        ("Zoë Ångström", 5),
    ],
)
def test_clip_cuts_text_as_truncatechars_does(text, length):  # type: ignore[no-untyped-def]
    expected = Template("{{ t|truncatechars:n }}").render(Context({"t": text, "n": length}))
    assert Template("{{ t|clip:n }}").render(Context({"t": text, "n": length})) == expected
    assert display.clip(None, 3) == ""
