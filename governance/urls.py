"""URL patterns of governance: the pages under /governance/ and the public share pages under /share/."""

from django.urls import URLPattern, path

from governance import views

urlpatterns: list[URLPattern] = [
    path("policies/", views.policies, name="policies"),
    path("policies/<int:policy_id>/delete", views.policy_delete, name="policy_delete"),
    path("holds/", views.hold_list, name="holds"),
    path("holds/<int:hold_id>/release", views.hold_release, name="hold_release"),
    path("rules/", views.rules, name="rules"),
    path("rules/<int:rule_id>/delete", views.rule_delete, name="rule_delete"),
]
