"""URL patterns of the webhooks app, mounted under ``/webhooks/``."""

from django.urls import URLPattern, path

from webhooks import views

app_name = "webhooks"
urlpatterns: list[URLPattern] = [
    path("", views.event_list, name="list"),
    path("setup", views.setup, name="setup"),
    path("setup/secret-url", views.secret_url, name="secret_url"),
    path("setup/rooms", views.point_rooms, name="point_rooms"),
    path("events/<int:pk>/apply", views.event_apply_again, name="apply_again"),
    path("telnyx", views.receive, name="receive"),
    path("telnyx/<str:token>", views.receive_secret, name="receive_secret"),
]
