from django.contrib import admin
from django.http import HttpRequest

from dashboard.roles import Role, role_of


class DashboardAdminSite(admin.AdminSite):
    site_header = "Video rooms dashboard: administration"
    site_title = "Video rooms dashboard"
    index_title = "Accounts and local records"

    def has_permission(self, request: HttpRequest) -> bool:
        """Members of the Admin group may use the admin site without also being marked staff."""
        user = request.user
        return bool(user.is_active and (user.is_staff or role_of(user) is Role.ADMIN))
