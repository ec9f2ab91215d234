"""URL patterns of the audit log, mounted under ``/audit/``."""

from django.urls import URLPattern, path

from audit import views

app_name = "audit"
urlpatterns: list[URLPattern] = [
    path("", views.audit_list, name="list"),
    path("export.csv", views.audit_csv, name="export"),
]
