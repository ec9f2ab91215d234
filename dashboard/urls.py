from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from dashboard import views
from recordings.urls import composition_urls, recording_urls
from rooms.urls import room_urls, session_urls

urlpatterns = [
    path("", views.overview, name="overview"),
    path("healthz", views.healthz, name="healthz"),
    path("rooms/", include((room_urls, "rooms"))),
    path("sessions/", include((session_urls, "sessions"))),
    path("audit/", include("audit.urls")),
    path("recordings/", include((recording_urls, "recordings"))),
    path("compositions/", include((composition_urls, "compositions"))),
    path("webhooks/", include("webhooks.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(success_url="/"),
        name="password_change",
    ),
    path("admin/", admin.site.urls),
]
