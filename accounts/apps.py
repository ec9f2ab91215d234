from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """The People page: admins add people, set their role, deactivate them, reset passwords."""

    name = "accounts"
    verbose_name = "People"
