"""Forms of the governance pages: checked before any service sees them."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings

from governance import autocompose
from governance.models import LegalHold, ShareLink


class PolicyForm(forms.Form):
    room_id = forms.ChoiceField(label="Room")
    recordings_days = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=36_500,
        label="Delete recordings after (days)",
        help_text="Empty keeps them for ever.",
    )
    compositions_days = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=36_500,
        label="Delete compositions after (days)",
        help_text="Empty keeps them for ever.",
    )
    archive_first = forms.BooleanField(required=False, label="Archive a copy before deleting")
    require_composition = forms.BooleanField(
        required=False, label="Delete a session's recordings only once it has a completed composition"
    )
    confirm_count = forms.IntegerField(
        required=False,
        min_value=0,
        label="Type the number of items the next run will delete",
        help_text=f"Needed when a change would delete more than {settings.RETENTION_CONFIRM_THRESHOLD}.",
    )

    def __init__(self, *args: Any, rooms: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        threshold = settings.RETENTION_CONFIRM_THRESHOLD  # read now: the setting may change at run time
        self.fields["confirm_count"].help_text = f"Needed when a change would delete more than {threshold}."
        cast(forms.ChoiceField, self.fields["room_id"]).choices = [
            ("", "Choose a room"),
            *((rid, name or rid) for rid, name in rooms),
        ]


class HoldForm(forms.Form):
    scope = forms.ChoiceField(choices=LegalHold.Scope.choices, label="Hold")
    target_id = forms.CharField(
        max_length=64, label="Id", help_text="The room, session, recording or composition id."
    )
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class RuleForm(forms.Form):
    room_id = forms.ChoiceField(label="Room")
    resolution = forms.ChoiceField(choices=autocompose.RESOLUTIONS, initial="1280x720")
    layout = forms.ChoiceField(choices=autocompose.LAYOUTS, initial="grid")

    def __init__(self, *args: Any, rooms: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["room_id"]).choices = [
            ("", "Choose a room"),
            *((rid, name or rid) for rid, name in rooms),
        ]


class ShareForm(forms.Form):
    kind = forms.ChoiceField(choices=ShareLink.Kind.choices, widget=forms.HiddenInput)
    target_id = forms.CharField(max_length=64, widget=forms.HiddenInput)
    days = forms.IntegerField(
        min_value=1,
        max_value=settings.SHARE_LINK_MAX_DAYS,
        initial=min(7, settings.SHARE_LINK_MAX_DAYS),
        label="Expires after (days)",
        help_text=f"At most {settings.SHARE_LINK_MAX_DAYS}.",
    )
    note = forms.CharField(max_length=200, required=False, label="For whom (note)")
