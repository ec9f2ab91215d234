"""The People page: list, add, change role, deactivate or reactivate, reset a password (admins)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts import services
from accounts.forms import ROLE_CHOICES, AddPersonForm, PasswordResetForm, RoleForm
from dashboard.errors import Refused, add_to_form
from dashboard.pages import HtmxRequest
from dashboard.roles import permission_required


def _page(request: HtmxRequest, *, status: int = 200, **extra: Any) -> HttpResponse:
    context = {
        "people": services.people(),
        "add_form": extra.pop("add_form", None) or AddPersonForm(),
        "me": request.user.pk,
        "roles": ROLE_CHOICES,
        **extra,
    }
    response = render(request, "accounts/people.html", context, status=status)
    if "handover" in extra:
        response["Cache-Control"] = "no-store"  # the answer holds a password
    return response


@permission_required("manage_users")
@require_GET
def people(request: HtmxRequest) -> HttpResponse:
    return _page(request)


@permission_required("manage_users")
@require_POST
def add_person(request: HtmxRequest) -> HttpResponse:
    form = AddPersonForm(request.POST)
    if form.is_valid():
        try:
            user, password = services.add_person(actor=request.user, **form.cleaned_data)
        except Refused as exc:
            add_to_form(form, exc)
        else:
            handover = {"username": user.get_username(), "password": password, "new": True}
            return _page(request, handover=handover)
    return _page(request, add_form=form, status=400, open_add=True)


def _person(user_id: int) -> Any:
    return get_object_or_404(get_user_model(), pk=user_id)


@permission_required("manage_users")
@require_POST
def change_role(request: HtmxRequest, user_id: int) -> HttpResponse:
    person = _person(user_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose Admin, Moderator or Viewer.")
    else:
        try:
            messages.success(
                request,
                services.change_role(actor=request.user, person=person, role=form.cleaned_data["role"]),
            )
        except Refused as exc:
            messages.error(request, exc.message)
    return redirect("accounts:people")


@permission_required("manage_users")
@require_POST
def set_active(request: HtmxRequest, user_id: int) -> HttpResponse:
    person = _person(user_id)
    active = request.POST.get("active") == "1"
    try:
        messages.success(request, services.set_active(actor=request.user, person=person, active=active))
    except Refused as exc:
        messages.error(request, exc.message)
    return redirect("accounts:people")


@permission_required("manage_users")
@require_POST
def reset_password(request: HtmxRequest, user_id: int) -> HttpResponse:
    person = _person(user_id)
    form = PasswordResetForm(request.POST)
    password = ""
    if form.is_valid():
        try:
            password = services.reset_password(
                actor=request.user, person=person, password=form.cleaned_data["password"]
            )
        except Refused as exc:
            messages.error(request, f"Password not changed: {exc.message}")
            return redirect("accounts:people")
    handover = {"username": person.get_username(), "password": password, "new": False}
    return _page(request, handover=handover)
