"""The audit log page and its CSV export."""

from __future__ import annotations

from datetime import date

from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET

from audit import services
from audit.forms import AuditFilterForm
from audit.models import AuditEntry
from dashboard.csv_export import csv_response
from dashboard.pages import HtmxRequest, partial_for, query_without
from dashboard.roles import permission_required


@permission_required("view_dashboard")
@require_GET
def audit_list(request: HtmxRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    filters = form.filters()
    scope = services.entries_for(user=request.user, filters=filters)
    page = Paginator(scope.entries, 50).get_page(request.GET.get("page"))
    names = dict(scope.rooms)
    context = {
        "page": page,
        "form": form,
        "filters": filters,
        "sees_all": scope.sees_all,
        "actions": AuditEntry.Action.choices,
        "usernames": scope.usernames,
        "rooms": scope.rooms,
        "rows": [(e, e.room_name or names.get(e.room_id, "")) for e in page.object_list],
        "categories": AuditEntry.Category.choices,
        "query": query_without(request, "page"),
    }
    return render(request, partial_for(request, "audit/list.html", {"audit-table": "audit-table"}), context)


@permission_required("view_dashboard")
@require_GET
def audit_csv(request: HtmxRequest) -> HttpResponseBase:
    filters = AuditFilterForm(request.GET or None).filters()
    scope = services.entries_for(user=request.user, filters=filters)
    return csv_response(
        f"audit-{date.today().isoformat()}.csv", services.CSV_HEADER, services.csv_rows(scope.entries)
    )
