"""Forms of the rooms pages: the API's bounds checked here, Telnyx's own 422s added beside each field."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django import forms

from dashboard.converters import is_telnyx_id
from dashboard.telnyx import Room
from dashboard.widgets import DayInput
from rooms import services, tokens


class RoomForm(forms.Form):
    """Every field of a room in the API. Blank URLs clear the field on edit."""

    unique_name = forms.CharField(
        label="Name", max_length=255, required=False, help_text="Unique name shown in the dashboard."
    )
    max_participants = forms.IntegerField(
        label="Max participants",
        min_value=services.MAX_PARTICIPANTS_MIN,
        max_value=services.MAX_PARTICIPANTS_MAX,
        initial=services.MAX_PARTICIPANTS_DEFAULT,
        help_text=f"Between {services.MAX_PARTICIPANTS_MIN} and {services.MAX_PARTICIPANTS_MAX}.",
    )
    enable_recording = forms.BooleanField(
        label="Record sessions", required=False, help_text="Each participant's audio and video is recorded."
    )
    webhook_event_url = forms.URLField(
        label="Webhook URL",
        required=False,
        assume_scheme="https",
        help_text="Where Telnyx sends room events.",
    )
    webhook_event_failover_url = forms.URLField(
        label="Failover webhook URL",
        required=False,
        assume_scheme="https",
        help_text="Used when the webhook URL fails or times out.",
    )
    webhook_timeout_secs = forms.IntegerField(
        label="Webhook timeout (seconds)",
        required=False,
        min_value=services.WEBHOOK_TIMEOUT_MIN,
        max_value=services.WEBHOOK_TIMEOUT_MAX,
        help_text=(
            f"Between {services.WEBHOOK_TIMEOUT_MIN} and {services.WEBHOOK_TIMEOUT_MAX};"
            " blank for Telnyx's default."
        ),
    )

    @classmethod
    def initial_from(cls, room: Room) -> dict[str, object]:
        return {name: getattr(room, name) for name in services.ROOM_FIELDS}


class RoomFilterForm(forms.Form):
    q = forms.CharField(label="Name contains", required=False)
    created_from = forms.DateField(label="Created from", required=False, widget=DayInput())
    created_to = forms.DateField(label="Created to", required=False, widget=DayInput())


class SessionFilterForm(forms.Form):
    STATUS_CHOICES = [("", "Any"), ("active", "Live"), ("ended", "Ended")]
    status = forms.ChoiceField(label="Status", choices=STATUS_CHOICES, required=False)
    room = forms.ChoiceField(label="Room", required=False)
    on_date = forms.DateField(label="Started on", required=False, widget=DayInput())

    def __init__(self, *args: Any, rooms: Sequence[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "Any room"), *((rid, name or f"unnamed {rid[:8]}") for rid, name in rooms)]
        # A room named in the address but not in the list (Telnyx unreachable, or just created)
        # is still a valid filter when it is a Telnyx id.
        asked = str(self.data.get("room") or "").strip()
        if asked and is_telnyx_id(asked) and asked not in {c for c, _ in choices}:
            choices.append((asked, f"room {asked[:8]}"))
        cast(forms.ChoiceField, self.fields["room"]).choices = choices

    def active(self) -> bool | None:
        return {"active": True, "ended": False}.get(self.cleaned_data.get("status") or "")


class JoinTokenForm(forms.Form):
    token_ttl_secs = forms.IntegerField(
        label="Token lifetime (seconds)",
        min_value=tokens.TOKEN_TTL_MIN,
        max_value=tokens.TOKEN_TTL_MAX,
        initial=tokens.TOKEN_TTL_DEFAULT,
    )
    refresh_token_ttl_secs = forms.IntegerField(
        label="Refresh token lifetime (seconds)",
        min_value=tokens.REFRESH_TTL_MIN,
        max_value=tokens.REFRESH_TTL_MAX,
        initial=tokens.REFRESH_TTL_DEFAULT,
    )


class RefreshTokenForm(forms.Form):
    refresh_token = forms.CharField(widget=forms.HiddenInput)
    token_ttl_secs = forms.IntegerField(
        label="New token lifetime (seconds)",
        min_value=tokens.TOKEN_TTL_MIN,
        max_value=tokens.TOKEN_TTL_MAX,
        initial=tokens.TOKEN_TTL_DEFAULT,
    )


def _is_participant_choice(value: object) -> bool:
    # One console row is one person: its value names each of their present connections, space-separated.
    return value == "all" or (isinstance(value, str) and all(is_telnyx_id(v) for v in value.split()))


def _ids(values: object) -> list[str]:
    if not isinstance(values, list | tuple):
        return []
    return [v for value in values for v in str(value).split()]


class ModerationForm(forms.Form):
    """``participants`` (ids, or the single value ``all``) and ``exclude`` (ids), as the API takes them.

    The page's own form posts ``selected`` ids and a ``scope`` button (``selected``, ``all``,
    ``all_except``), so it works without JavaScript; both shapes resolve to the same pair.
    """

    SCOPES = [("selected", "Selected"), ("all", "All"), ("all_except", "All except selected")]
    participants = forms.MultipleChoiceField(required=False)
    exclude = forms.MultipleChoiceField(required=False)
    selected = forms.MultipleChoiceField(required=False)
    scope = forms.ChoiceField(choices=SCOPES, required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # Form's own arguments, passed through
        # Any participant id is a choice ("all" too, for ``participants``); Telnyx says if it exists.
        for name in ("participants", "exclude", "selected"):
            self.fields[name].valid_value = _is_participant_choice  # type: ignore[attr-defined]  # ChoiceField's documented hook

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        scope = data.get("scope")
        selected = _ids(data.get("selected"))
        if scope == "all":
            participants: str | list[str] = "all"
            exclude: list[str] = []
        elif scope == "all_except":
            participants, exclude = "all", selected
        elif scope == "selected":
            participants, exclude = selected, []
        else:
            given = _ids(data.get("participants"))
            participants = "all" if given == ["all"] else given
            exclude = _ids(data.get("exclude"))
        if participants != "all" and not participants:
            raise forms.ValidationError("Choose at least one participant first.")
        data["resolved"] = (participants, exclude)
        return data
