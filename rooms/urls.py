"""URL patterns of the rooms app, mounted by ``dashboard/urls.py`` under two prefixes."""

from django.urls import URLPattern, path

from rooms import views

room_urls: list[URLPattern] = [  # /rooms/
    path("", views.room_list, name="list"),
    path("new/", views.room_new, name="new"),
    path("<str:room_id>/", views.room_detail, name="detail"),
    path("<str:room_id>/edit/", views.room_edit, name="edit"),
    path("<str:room_id>/delete/", views.room_delete, name="delete"),
    path("<str:room_id>/tokens/", views.room_token, name="token"),
    path("<str:room_id>/tokens/refresh/", views.room_token_refresh, name="token_refresh"),
]
session_urls: list[URLPattern] = [  # /sessions/
    path("", views.session_list, name="list"),
    path("<str:session_id>/", views.session_detail, name="detail"),
    path("<str:session_id>/attendance.csv", views.session_attendance, name="attendance"),
    path("<str:session_id>/mute", views.session_action, {"action": "mute"}, name="mute"),
    path("<str:session_id>/unmute", views.session_action, {"action": "unmute"}, name="unmute"),
    path("<str:session_id>/kick", views.session_action, {"action": "kick"}, name="kick"),
    path("<str:session_id>/end", views.session_action, {"action": "end"}, name="end"),
]
