"""Governance pages: retention policies (admins), legal holds, automatic-composition rules."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from dashboard.errors import UserError, add_to_form
from dashboard.pages import HtmxRequest
from dashboard.roles import permission_required
from governance import autocompose, holds, retention
from governance.forms import HoldForm, PolicyForm, RuleForm
from governance.models import AutoComposition, AutoCompositionRule, LegalHold, RetentionPolicy, RetentionRun
from recordings.services.browse import known_rooms


def _room_names() -> dict[str, str]:
    return {rid: name for rid, name in known_rooms()}


@permission_required("delete_recordings")
def policies(request: HtmxRequest) -> HttpResponse:
    """Every policy with what the next run deletes under it; POST adds or changes a room's override
    (a change that would delete more than the threshold needs the count typed)."""
    rooms = known_rooms()
    form = PolicyForm(request.POST or None, rooms=rooms)
    pending: retention.PolicyPreview | None = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        proposed = retention.Policy(
            room_id=data["room_id"],
            room_name=_room_names().get(data["room_id"], ""),
            recordings_days=data["recordings_days"],
            compositions_days=data["compositions_days"],
            archive_first=data["archive_first"],
            require_composition=data["require_composition"],
        )
        overridden = set(RetentionPolicy.objects.values_list("room_id", flat=True)) | {proposed.room_id}
        pending = retention.preview_policy(proposed, overridden_rooms=overridden)
        needs_confirm = pending.total > settings.RETENTION_CONFIRM_THRESHOLD
        if needs_confirm and data["confirm_count"] != pending.total:
            form.add_error(
                "confirm_count",
                f"This policy would delete {pending.total} items at the next run; "
                f"type {pending.total} to confirm.",
            )
        else:
            RetentionPolicy.objects.update_or_create(
                room_id=proposed.room_id,
                defaults={
                    "room_name": proposed.room_name,
                    "recordings_days": proposed.recordings_days,
                    "compositions_days": proposed.compositions_days,
                    "archive_first": proposed.archive_first,
                    "require_composition": proposed.require_composition,
                    "updated_by": request.user,
                    "updated_at": timezone.now(),
                },
            )
            messages.success(request, f"Saved the policy of {proposed.room_name or proposed.room_id}.")
            return redirect("governance:policies")
    rows = {row.room_id: row for row in RetentionPolicy.objects.all()}
    found = retention.preview()
    context: dict[str, Any] = {
        "form": form,
        "pending": pending,
        "preview": found,
        "rows": rows,
        "items": [(item, rows.get(item.policy.room_id)) for item in found.policies],
        "threshold": settings.RETENTION_CONFIRM_THRESHOLD,
        "runs": RetentionRun.objects.all()[:10],
    }
    return render(request, "governance/policies.html", context)


@permission_required("delete_recordings")
@require_POST
def policy_delete(request: HtmxRequest, policy_id: int) -> HttpResponse:
    policy = get_object_or_404(RetentionPolicy, pk=policy_id)
    policy.delete()
    messages.success(request, f"{policy.room_name or policy.room_id} follows the default policy again.")
    return redirect("governance:policies")


@permission_required("moderate_sessions")
def hold_list(request: HtmxRequest) -> HttpResponse:
    """Active and released holds; moderators and admins add one, admins release."""
    if request.method == "POST":
        form = HoldForm(request.POST)
    else:  # the lists link here with the item to hold filled in
        form = HoldForm(initial={k: request.GET[k] for k in ("scope", "target_id") if k in request.GET})
    if request.method == "POST" and form.is_valid():
        try:
            hold = holds.add_hold(user=request.user, **form.cleaned_data)
        except UserError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, f"Legal hold {hold.pk} set on {hold.scope} {hold.target_id}.")
            return redirect("governance:holds")
    context = {
        "form": form,
        "active": holds.active_holds(),
        "released": LegalHold.objects.filter(released_at__isnull=False)[:50],
        "can_release": request.user.has_perm("dashboard.delete_recordings"),
    }
    return render(request, "governance/holds.html", context)


@permission_required("delete_recordings")
@require_POST
def hold_release(request: HtmxRequest, hold_id: int) -> HttpResponse:
    try:
        holds.release_hold(user=request.user, hold_id=hold_id, is_admin=True)
    except UserError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Legal hold {hold_id} released.")
    return redirect("governance:holds")


@permission_required("manage_rooms")
def rules(request: HtmxRequest) -> HttpResponse:
    form = RuleForm(request.POST or None, rooms=known_rooms())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            autocompose.add_rule(
                user=request.user,
                room_id=data["room_id"],
                room_name=_room_names().get(data["room_id"], ""),
                resolution=data["resolution"],
                layout=data["layout"],
            )
        except UserError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, "Sessions of that room will be composed once they end.")
            return redirect("governance:rules")
    context = {
        "form": form,
        "rules": AutoCompositionRule.objects.all(),
        "claims": AutoComposition.objects.select_related("rule")[:50],
    }
    return render(request, "governance/rules.html", context)


@permission_required("manage_rooms")
@require_POST
def rule_delete(request: HtmxRequest, rule_id: int) -> HttpResponse:
    get_object_or_404(AutoCompositionRule, pk=rule_id).delete()
    messages.success(request, "Rule removed; compositions already made are kept.")
    return redirect("governance:rules")
