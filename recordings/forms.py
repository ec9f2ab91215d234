"""Forms of the recordings and compositions pages: filters, bulk delete, composition builder."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, cast

from django import forms

from dashboard.converters import is_telnyx_id
from dashboard.widgets import DayInput, PlainSelect
from recordings import layouts
from recordings.services import deletion
from recordings.services.browse import RecordingFilters

SORT_CHOICES = [
    ("-date", "Newest first"),
    ("date", "Oldest first"),
    ("-size", "Largest first"),
    ("size", "Smallest first"),
    ("-duration", "Longest first"),
    ("duration", "Shortest first"),
]


HOLD_CHOICES = [("", "Any"), ("held", "Held"), ("not_held", "Not held")]


class RecordingFilterForm(forms.Form):
    room = forms.ChoiceField(required=False, label="Room", widget=PlainSelect)
    session = forms.CharField(required=False, label="Session id", max_length=64)
    participant = forms.CharField(
        required=False,
        label="Participant (name or id)",
        max_length=255,
        widget=forms.TextInput(attrs={"list": "participant-names", "autocomplete": "off"}),
    )
    type = forms.ChoiceField(
        required=False, choices=[("", "Any type"), ("audio", "Audio"), ("video", "Video")]
    )
    status = forms.ChoiceField(
        required=False,
        choices=[
            ("", "Any status"),
            ("completed", "Completed"),
            ("processing", "Processing"),
            ("gone", "Deleted in Telnyx"),
        ],
    )
    started_from = forms.DateField(required=False, label="Started from", widget=DayInput())
    started_to = forms.DateField(required=False, label="Started until", widget=DayInput())
    min_duration = forms.IntegerField(required=False, min_value=0, label="Min. duration (s)")
    hold = forms.ChoiceField(required=False, label="Legal hold", choices=HOLD_CHOICES)
    sort = forms.ChoiceField(required=False, choices=SORT_CHOICES)

    FILTER_FIELDS = (
        "room",
        "session",
        "participant",
        "type",
        "status",
        "started_from",
        "started_to",
        "min_duration",
        "hold",
    )

    def __init__(
        self,
        *args: Any,
        rooms: Sequence[tuple[str, str]] = (),
        participants: Sequence[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # The names offered as the participant filter is typed (a <datalist> on the page).
        self.participant_names = list(participants)
        cast(forms.ChoiceField, self.fields["room"]).choices = [("", "Any room")] + [
            (room_id, name or room_id[:8]) for room_id, name in rooms
        ]

    def clean_session(self) -> str:
        value: str = self.cleaned_data["session"].strip()
        if value:
            try:
                uuid.UUID(value)
            except ValueError:
                raise forms.ValidationError("Enter a session id (a UUID).") from None
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("started_from"), data.get("started_to")
        if start and end and start > end:
            self.add_error("started_to", "The end date is before the start date.")
        return data

    def to_filters(self) -> RecordingFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return RecordingFilters(
            room_id=data.get("room") or "",
            session_id=data.get("session") or "",
            participant=(data.get("participant") or "").strip(),
            type=data.get("type") or "",
            status=data.get("status") or "",
            started_from=data.get("started_from"),
            started_to=data.get("started_to"),
            min_duration_secs=data.get("min_duration"),
            hold=data.get("hold") or "",
        )

    @property
    def sort_key(self) -> str:
        return (self.cleaned_data.get("sort") if self.is_valid() else "") or "-date"


class CompositionFilterForm(forms.Form):
    """The compositions list's filters: one session, and held or not."""

    session_id = forms.CharField(required=False, widget=forms.HiddenInput, max_length=64)
    hold = forms.ChoiceField(required=False, label="Legal hold", choices=HOLD_CHOICES)

    def clean_session_id(self) -> str:
        value: str = self.cleaned_data["session_id"].strip()
        if value and not is_telnyx_id(value):
            raise forms.ValidationError("That is not a session id (a UUID).")
        return value


class BulkDeleteConfirmForm(forms.Form):
    """The typed count, and the token naming the exact set the preview showed (hidden)."""

    confirm_count = forms.IntegerField(
        min_value=0,
        label="Type the number of recordings to delete",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    preview_token = forms.CharField(widget=forms.HiddenInput, max_length=500)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        token = data.get("preview_token") or ""
        expected = deletion.previewed_count(token) if token else None
        if token and expected is None:
            self.add_error(None, "This preview is too old or not valid; preview again before deleting.")
        elif expected is not None and data.get("confirm_count") not in (None, expected):
            self.add_error("confirm_count", f"Type {expected} to confirm, exactly the number shown.")
        return data


# --- compositions -------------------------------------------------------------------------------

RESOLUTION_PRESETS = [
    ("1280x720", "1280×720 (720p)"),
    ("960x540", "960×540"),
    ("640x360", "640×360 (360p)"),
    ("720x720", "720×720 (square)"),
    ("custom", "Custom…"),
]
LAYOUT_PRESETS = [
    ("grid", "Grid of all video recordings"),
    ("single", "Single speaker"),
    ("side_by_side", "Side by side"),
    ("custom", "Custom regions"),
]
MAX_PIXELS = 1280 * 720
REGION_NAMES = ("first", "second")


class CompositionForm(forms.Form):
    session_id = forms.CharField(max_length=64, label="Session id")
    resolution = forms.ChoiceField(choices=RESOLUTION_PRESETS, initial="1280x720")
    width = forms.IntegerField(required=False, min_value=16, max_value=1280, help_text="16–1280")
    height = forms.IntegerField(required=False, min_value=16, max_value=1280, help_text="16–1280")
    layout = forms.ChoiceField(choices=LAYOUT_PRESETS, initial="grid", widget=forms.RadioSelect)
    speakers = forms.MultipleChoiceField(
        required=False,
        label="Speakers",
        help_text="Single speaker: the first chosen; side by side: the first two.",
    )

    def __init__(self, *args: Any, sources: Sequence[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sources = list(sources)
        cast(forms.ChoiceField, self.fields["speakers"]).choices = self.sources
        for name in REGION_NAMES:
            prefix = f"{name}_"
            self.fields[prefix + "enabled"] = forms.BooleanField(
                required=False, label=f"Use the {name} region"
            )
            self.fields[prefix + "x_pos"] = forms.IntegerField(
                required=False, min_value=0, max_value=1280, label="x"
            )
            self.fields[prefix + "y_pos"] = forms.IntegerField(
                required=False, min_value=0, max_value=1280, label="y"
            )
            self.fields[prefix + "z_pos"] = forms.IntegerField(
                required=False, min_value=-99, max_value=99, label="z"
            )
            self.fields[prefix + "width"] = forms.IntegerField(
                required=False, min_value=16, max_value=1280, label="width"
            )
            self.fields[prefix + "height"] = forms.IntegerField(
                required=False, min_value=16, max_value=1280, label="height"
            )
            self.fields[prefix + "max_columns"] = forms.IntegerField(
                required=False, min_value=1, max_value=1000, label="columns"
            )
            self.fields[prefix + "max_rows"] = forms.IntegerField(
                required=False, min_value=1, max_value=1000, label="rows"
            )
            self.fields[prefix + "sources"] = forms.MultipleChoiceField(
                required=False, choices=[("*", "All video recordings"), *self.sources], label="video sources"
            )

    def clean_session_id(self) -> str:
        value: str = self.cleaned_data["session_id"].strip()
        try:
            uuid.UUID(value)
        except ValueError:
            raise forms.ValidationError("Enter a session id (a UUID).") from None
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self._clean_resolution(data)
        if "resolution_size" in data:
            self._clean_layout(data)
        return data

    def _clean_resolution(self, data: dict[str, Any]) -> None:
        choice = data.get("resolution")
        if choice == "custom":
            width, height = data.get("width"), data.get("height")
            if width is None and "width" not in self.errors:
                self.add_error("width", "Enter a width for a custom resolution.")
            if height is None and "height" not in self.errors:
                self.add_error("height", "Enter a height for a custom resolution.")
            if width is None or height is None:
                return
            if width * height > MAX_PIXELS:
                self.add_error(
                    "height", f"{width}×{height} is more than 1280×720 pixels in all; make it smaller."
                )
                return
            data["resolution_size"] = (width, height)
        elif choice:
            w, h = choice.split("x")
            data["resolution_size"] = (int(w), int(h))

    def _clean_layout(self, data: dict[str, Any]) -> None:
        width, height = data["resolution_size"]
        layout = data.get("layout")
        speakers = list(data.get("speakers") or [])
        if layout == "grid":
            data["video_layout"] = layouts.grid(width=width, height=height)
        elif layout == "single":
            source = speakers[:1] or [s for s, _ in self.sources[:1]]
            if not source:
                self.add_error("speakers", "This session has no video recording to show.")
                return
            data["video_layout"] = layouts.single_speaker(width=width, height=height, source=source[0])
        elif layout == "side_by_side":
            chosen = speakers[:2] or [s for s, _ in self.sources[:2]]
            if len(chosen) < 2:
                self.add_error("speakers", "Side by side needs two video recordings; this session has fewer.")
                return
            data["video_layout"] = layouts.side_by_side(
                width=width, height=height, left=chosen[0], right=chosen[1]
            )
        elif layout == "custom":
            regions = {}
            for name in REGION_NAMES:
                if data.get(f"{name}_enabled"):
                    regions[name] = self._custom_region(data, name, width, height)
            if not regions:
                self.add_error("layout", "Enable at least one region (at most 2) for a custom layout.")
                return
            data["video_layout"] = regions

    def _custom_region(self, data: dict[str, Any], name: str, width: int, height: int) -> layouts.Region:
        """One custom region from its fields (blank numbers fill the canvas), its bounds checked."""
        prefix = f"{name}_"

        def number(key: str, default: int) -> int:
            value = data.get(prefix + key)
            return default if value is None else int(value)

        def optional(key: str) -> int | None:
            value = data.get(prefix + key)
            return None if value is None else int(value)

        x_pos, y_pos = number("x_pos", 0), number("y_pos", 0)
        region_width, region_height = number("width", width), number("height", height)
        if x_pos + region_width > width:
            self.add_error(prefix + "width", f"The region goes past the right edge ({width} px).")
        if y_pos + region_height > height:
            self.add_error(prefix + "height", f"The region goes past the bottom edge ({height} px).")
        sources = data.get(prefix + "sources") or []
        if not sources:
            self.add_error(prefix + "sources", "Choose the video recordings to show in this region.")
        return layouts.region(
            x_pos=x_pos,
            y_pos=y_pos,
            z_pos=number("z_pos", 0),
            width=region_width,
            height=region_height,
            sources=sources,
            max_columns=optional("max_columns"),
            max_rows=optional("max_rows"),
        )

    @property
    def resolution_string(self) -> str:
        width, height = self.cleaned_data["resolution_size"]
        return f"{width}x{height}"

    def size_fields(self) -> list[Any]:
        return [self["width"], self["height"]]

    def region_rows(self) -> list[dict[str, Any]]:
        """The region fields grouped for the template."""
        rows = []
        for name in REGION_NAMES:
            p = f"{name}_"
            rows.append(
                {
                    "name": name,
                    "enabled": self[p + "enabled"],
                    "numbers": [
                        self[p + k]
                        for k in ("x_pos", "y_pos", "z_pos", "width", "height", "max_columns", "max_rows")
                    ],
                    "sources": self[p + "sources"],
                }
            )
        return rows
