"""URL patterns of the recordings app, mounted by ``dashboard/urls.py`` under two prefixes."""

from django.urls import URLPattern

recording_urls: list[URLPattern] = []  # /recordings/
composition_urls: list[URLPattern] = []  # /compositions/
