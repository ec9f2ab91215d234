from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save
from django.urls import register_converter

from dashboard.converters import TelnyxIdConverter


def _sync_roles_after_migrate(sender: object, **kwargs: object) -> None:
    from django.apps import apps
    from django.contrib.auth.models import Group, Permission

    # post_migrate is sent once per app that has models; by the last one every app's permissions
    # exist. (An app without models.py, such as accounts, is sent none: it cannot be "the last".)
    with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    if sender is not with_models[-1]:
        return

    from dashboard.roles import sync_role_groups

    sync_role_groups(Group, Permission)


class DashboardConfig(AppConfig):
    default = True
    name = "dashboard"
    verbose_name = "Dashboard"

    def ready(self) -> None:
        # Keeps the groups' permissions whole when later migrations add models.
        post_migrate.connect(_sync_roles_after_migrate, dispatch_uid="dashboard-sync-roles")
        # Kept permission sets (dashboard.auth_backend) go stale with any change to roles.
        from dashboard.auth_backend import permissions_changed

        for signal in (post_save, post_delete, m2m_changed):
            signal.connect(permissions_changed, dispatch_uid="dashboard-permissions")
        # Before any URLconf is imported: every app's URLs use it.
        register_converter(TelnyxIdConverter, "telnyx_id")


class DashboardAdminConfig(admin_apps.AdminConfig):
    """Django's admin, on a site that lets the Admin role in."""

    default = False
    default_site = "dashboard.admin_site.DashboardAdminSite"
