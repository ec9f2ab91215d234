"""Create the Admin, Moderator and Viewer groups with their permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def create_role_groups(apps, schema_editor):  # type: ignore[no-untyped-def]
    from dashboard.roles import sync_role_groups

    # Permissions are normally created after all migrations; make this app's exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    # Partial: permissions added by later migrations (0003 manage_users) are granted after migrate.
    sync_role_groups(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"), partial=True)


def remove_role_groups(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("auth", "Group").objects.filter(name__in=["Admin", "Moderator", "Viewer"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_role_groups, remove_role_groups)]
