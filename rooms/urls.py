"""URL patterns of the rooms app, mounted by ``dashboard/urls.py`` under three prefixes."""

from django.urls import URLPattern

room_urls: list[URLPattern] = []  # /rooms/
session_urls: list[URLPattern] = []  # /sessions/
audit_urls: list[URLPattern] = []  # /audit/
