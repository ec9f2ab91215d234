"""URL patterns of the rooms app, mounted by ``dashboard/urls.py`` under two prefixes."""

from django.urls import URLPattern, path

from rooms import views

room_urls: list[URLPattern] = [  # /rooms/
    path("", views.room_list, name="list"),
    path("new/", views.room_new, name="new"),
    path("<telnyx_id:room_id>/", views.room_detail, name="detail"),
    path("<telnyx_id:room_id>/edit/", views.room_edit, name="edit"),
    path("<telnyx_id:room_id>/delete/", views.room_delete, name="delete"),
    path("<telnyx_id:room_id>/tokens/", views.room_token, name="token"),
    path("<telnyx_id:room_id>/tokens/refresh/", views.room_token_refresh, name="token_refresh"),
]
session_urls: list[URLPattern] = [  # /sessions/
    path("", views.session_list, name="list"),
    path("<telnyx_id:session_id>/", views.session_detail, name="detail"),
    path("<telnyx_id:session_id>/attendance.csv", views.session_attendance, name="attendance"),
    path("<telnyx_id:session_id>/mute", views.session_action, {"action": "mute"}, name="mute"),
    path("<telnyx_id:session_id>/unmute", views.session_action, {"action": "unmute"}, name="unmute"),
    path("<telnyx_id:session_id>/kick", views.session_action, {"action": "kick"}, name="kick"),
    path("<telnyx_id:session_id>/end", views.session_action, {"action": "end"}, name="end"),
]
