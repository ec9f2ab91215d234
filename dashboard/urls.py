from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.decorators.cache import cache_control

from dashboard import views
from governance.urls import share_urls
from recordings.urls import composition_urls, recording_urls
from rooms.urls import room_urls, session_urls


@login_not_required
@cache_control(max_age=86_400, public=True)
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers and bookmarks ask for /favicon.ico whatever the page links: send them to the SVG icon.

    A temporary redirect, cached a day: the icon's hashed name changes when the icon does.
    """
    return HttpResponseRedirect(static("favicon.svg"))


urlpatterns = [
    path("favicon.ico", favicon, name="favicon"),
    path("", views.overview, name="overview"),
    path("healthz", views.healthz, name="healthz"),
    path("healthz/detail", views.healthz_detail, name="healthz-detail"),
    path("rooms/", include((room_urls, "rooms"))),
    path("sessions/", include((session_urls, "sessions"))),
    path("audit/", include("audit.urls")),
    path("recordings/", include((recording_urls, "recordings"))),
    path("compositions/", include((composition_urls, "compositions"))),
    path("webhooks/", include("webhooks.urls")),
    path("people/", include("accounts.urls")),
    path("governance/", include(("governance.urls", "governance"))),
    path("share/", include((share_urls, "share"))),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(success_url="/"),
        name="password_change",
    ),
    path("admin/", admin.site.urls),
]
