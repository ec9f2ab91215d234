"""URL patterns of the recordings app, mounted by ``dashboard/urls.py`` under two prefixes."""

from django.urls import URLPattern, path

from recordings import views

recording_urls: list[URLPattern] = [  # /recordings/
    path("", views.recording_list, name="list"),
    path("sync", views.sync_now, name="sync"),
    path("bulk-delete", views.bulk_delete, name="bulk_delete"),
    path("<telnyx_id:recording_id>/download", views.recording_download, name="download"),
    path("<telnyx_id:recording_id>/delete", views.recording_delete, name="delete"),
]
composition_urls: list[URLPattern] = [  # /compositions/
    path("", views.composition_list, name="list"),
    path("new", views.composition_new, name="new"),
    path("<telnyx_id:composition_id>/", views.composition_detail, name="detail"),
    path("<telnyx_id:composition_id>/status", views.composition_status, name="status"),
    path("<telnyx_id:composition_id>/download", views.composition_download, name="download"),
    path("<telnyx_id:composition_id>/delete", views.composition_delete, name="delete"),
]
