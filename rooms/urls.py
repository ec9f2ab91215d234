"""URL patterns of the rooms app, mounted by ``dashboard/urls.py`` under two prefixes."""

from django.urls import URLPattern, path

from rooms.views import rooms, sessions

room_urls: list[URLPattern] = [  # /rooms/
    path("", rooms.room_list, name="list"),
    path("new/", rooms.room_new, name="new"),
    path("<telnyx_id:room_id>/", rooms.room_detail, name="detail"),
    path("<telnyx_id:room_id>/edit/", rooms.room_edit, name="edit"),
    path("<telnyx_id:room_id>/delete/", rooms.room_delete, name="delete"),
    path("<telnyx_id:room_id>/tokens/", rooms.room_token, name="token"),
    path("<telnyx_id:room_id>/tokens/refresh/", rooms.room_token_refresh, name="token_refresh"),
]
session_urls: list[URLPattern] = [  # /sessions/
    path("", sessions.session_list, name="list"),
    path("<telnyx_id:session_id>/", sessions.session_detail, name="detail"),
    path("<telnyx_id:session_id>/attendance.csv", sessions.session_attendance, name="attendance"),
    path("<telnyx_id:session_id>/mute", sessions.session_action, {"action": "mute"}, name="mute"),
    path("<telnyx_id:session_id>/unmute", sessions.session_action, {"action": "unmute"}, name="unmute"),
    path("<telnyx_id:session_id>/kick", sessions.session_action, {"action": "kick"}, name="kick"),
    path("<telnyx_id:session_id>/end", sessions.session_action, {"action": "end"}, name="end"),
]
