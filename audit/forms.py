"""The audit log's filters, checked before any query sees them."""

from __future__ import annotations

from django import forms

from audit.models import AuditEntry
from audit.services import AuditFilters


class AuditFilterForm(forms.Form):
    user = forms.CharField(required=False, max_length=150)
    action = forms.ChoiceField(required=False, choices=[("", "Any"), *AuditEntry.Action.choices])
    room = forms.CharField(required=False, max_length=255)
    category = forms.ChoiceField(
        required=False, choices=[("", "Changes and access"), *AuditEntry.Category.choices]
    )

    def filters(self) -> AuditFilters:
        """The filters to apply: the valid ones; a field with an error filters nothing."""
        if not self.is_bound:
            return AuditFilters()
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return AuditFilters(
            user=data.get("user", "") or "",
            action=data.get("action", "") or "",
            room=data.get("room", "") or "",
            category=data.get("category", "") or "",
        )
