from collections.abc import Callable
from functools import update_wrapper
from typing import Any, TypeVar, cast

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase

from dashboard.roles import Role, role_of

AdminView = TypeVar("AdminView", bound=Callable[..., HttpResponseBase])

# Imported by Django's admin app while it starts (``default_site``), after every model is loaded,
# so importing axes' models and admin classes here is safe. AXES_ENABLE_ADMIN is off in settings:
# this site registers the lockouts itself, with the Admin role's permissions.


def _is_admin(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_active and (user.is_superuser or role_of(user) is Role.ADMIN))


class LoginLockoutAdmin(AccessAttemptAdmin):
    """Failed sign-ins per username and address; deleting a row lifts that lockout at once.

    Visible to the Admin role (the groups' permissions cover only the dashboard's own apps).
    """

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DashboardAdminSite(admin.AdminSite):
    site_header = "Video rooms dashboard: administration"
    site_title = "Video rooms dashboard"
    index_title = "Accounts and local records"

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)
        self.register(AccessAttempt, LoginLockoutAdmin)

    def has_permission(self, request: HttpRequest) -> bool:
        """Members of the Admin group may use the admin site without also being marked staff."""
        user = request.user
        return bool(user.is_active and (user.is_staff or role_of(user) is Role.ADMIN))

    def admin_view(self, view: AdminView, cacheable: bool = False) -> AdminView:
        """A signed-in user without the Admin role gets the product's 403 page, not the admin
        site's own sign-in form (which read as "sign in again" to a moderator)."""
        inner = super().admin_view(view, cacheable)

        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.user.is_authenticated and not self.has_permission(request):
                raise PermissionDenied
            response: HttpResponseBase = inner(request, *args, **kwargs)
            return response

        return cast(AdminView, update_wrapper(guarded, inner))

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if request.user.is_authenticated and not self.has_permission(request):
            raise PermissionDenied
        return super().login(request, extra_context)
