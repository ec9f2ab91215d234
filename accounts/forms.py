"""Forms of the People page."""

from __future__ import annotations

from django import forms
from django.contrib.auth.validators import UnicodeUsernameValidator

from dashboard.roles import Role

ROLE_CHOICES = [(role.value, role.value) for role in Role]
ROLE_HELP = (
    "Viewer: browse, play, download, compose. Moderator: also mute, kick, end sessions and hand out "
    "join tokens. Admin: also rooms, deletions and people."
)


class RoleField(forms.TypedChoiceField):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(choices=ROLE_CHOICES, coerce=Role, **kwargs)  # type: ignore[arg-type]  # kwargs pass through


class AddPersonForm(forms.Form):
    username = forms.CharField(
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text="Letters, digits and @ . + - _ only.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )
    email = forms.EmailField(required=False, label="Email (optional)")
    role = RoleField(initial=Role.VIEWER.value, help_text=ROLE_HELP)
    password = forms.CharField(
        required=False,
        label="Password (optional)",
        help_text="Leave empty to generate one; it is shown once, to hand over.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class RoleForm(forms.Form):
    role = RoleField(label="Role")


class PasswordResetForm(forms.Form):
    password = forms.CharField(
        required=False,
        label="New password (optional)",
        help_text="Leave empty to generate one.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
