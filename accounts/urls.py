"""URL patterns of the People page, mounted under /people/."""

from django.urls import URLPattern, path

from accounts import views

app_name = "accounts"
urlpatterns: list[URLPattern] = [
    path("", views.people, name="people"),
    path("new/", views.add_person, name="add"),
    path("<int:user_id>/role/", views.change_role, name="role"),
    path("<int:user_id>/active/", views.set_active, name="active"),
    path("<int:user_id>/password/", views.reset_password, name="password"),
]
