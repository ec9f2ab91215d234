"""URL patterns of governance: the pages under /governance/ and the public share pages under /share/."""

from django.urls import URLPattern, path

from governance import share_views, views

urlpatterns: list[URLPattern] = [
    path("policies/", views.policies, name="policies"),
    path("policies/<int:policy_id>/delete", views.policy_delete, name="policy_delete"),
    path("holds/", views.hold_list, name="holds"),
    path("holds/<int:hold_id>/release", views.hold_release, name="hold_release"),
    path("rules/", views.rules, name="rules"),
    path("rules/<int:rule_id>/delete", views.rule_delete, name="rule_delete"),
    path("shares/", share_views.share_manage, name="shares"),
    path("shares/<int:link_id>/revoke", share_views.share_revoke, name="share_revoke"),
]
# Public (no account): /share/<token>/… — the token is the credential.
share_urls: list[URLPattern] = [
    path("<str:token>/", share_views.share_page, name="page"),
    path("<str:token>/bundle", share_views.share_bundle, name="bundle"),
    path("<str:token>/file/<telnyx_id:telnyx_id>", share_views.share_file, name="file"),
]
