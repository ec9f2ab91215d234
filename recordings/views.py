"""Pages of recordings and compositions. Thin: parse, check permission, call a service, render."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from dashboard.telnyx import TelnyxError
from recordings import services, tasks
from recordings.forms import BulkDeleteConfirmForm, CompositionForm, RecordingFilterForm
from recordings.models import Composition, Recording

PAGE_SIZE = 50


def _require(request: HttpRequest, codename: str) -> None:
    if not request.user.has_perm(f"dashboard.{codename}"):
        raise PermissionDenied


def _chart(days: list[dict[str, Any]], *, width: int = 600, height: int = 140) -> dict[str, Any]:
    """Bars of an SVG chart of storage per day (drawn by the template)."""
    peak = max((d["size_mb"] for d in days), default=0) or 1
    slot = width / max(len(days), 1)
    bars = []
    for i, day in enumerate(days):
        h = round(day["size_mb"] / peak * (height - 20), 1)
        bars.append(
            {
                "x": round(i * slot + 1, 1),
                "y": round(height - h, 1),
                "w": round(slot - 2, 1),
                "h": h,
                "day": day["day"],
                "size_mb": day["size_mb"],
                "count": day["count"],
            }
        )
    return {"bars": bars, "width": width, "height": height, "peak_mb": peak if peak != 1 else 0}


def _query_without(request: HttpRequest, *names: str) -> str:
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


def recording_list(request: HttpRequest) -> HttpResponse:
    _require(request, "view_dashboard")
    form = RecordingFilterForm(request.GET or None, rooms=services.known_rooms())
    filters = form.to_filters()
    qs = services.filter_recordings(filters, sort=form.sort_key if form.is_bound else "-date")
    totals = services.recording_totals(qs)
    paginator = Paginator(qs, PAGE_SIZE)
    paginator.__dict__["count"] = totals["count"]  # the totals already counted: no second COUNT(*)
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "recordings": page.object_list,
        "totals": totals,
        "filters": filters,
        "query": _query_without(request, "page"),
        "sort_query": _query_without(request, "page", "sort"),
        "sort": form.sort_key if form.is_bound else "-date",
        "chart": _chart(services.storage_per_day()),
        "last_sync": services.last_sync_run(),
        "can_delete": request.user.has_perm("dashboard.delete_recordings"),
        "can_download": request.user.has_perm("dashboard.download_recordings"),
    }
    if request.htmx and request.htmx.target == "recordings-table":
        return render(request, "recordings/list.html#recordings-table", context)
    return render(request, "recordings/list.html", context)


@require_POST
def sync_now(request: HttpRequest) -> HttpResponse:
    _require(request, "view_dashboard")
    full = request.POST.get("full") == "1" and request.user.has_perm("dashboard.delete_recordings")
    tasks.sync_recordings_task.delay(full=full)
    messages.info(request, "A sync was queued; the figures update when it has run.")
    return redirect("recordings:list")


def _stream(request: HttpRequest, record: Recording | Composition) -> HttpResponse:
    byte_range = request.headers.get("Range")
    try:
        download = services.open_download(record, byte_range=byte_range)
    except services.RangeNotSatisfiable as exc:
        response = HttpResponse(status=416)
        if exc.total:
            response["Content-Range"] = f"bytes */{exc.total}"
        return response
    except (TelnyxError, services.RecordingsError) as exc:
        services.audit_download(user=request.user, record=record, succeeded=False, message=str(exc))
        return render(
            request,
            "recordings/download_failed.html",
            {"record": record, "error": str(exc)},
            status=404 if getattr(exc, "status", None) == 404 or record.gone_upstream else 502,
        )
    # One audit entry per download or play, not one per seek: ranges that start past 0 are a player
    # fetching more of a file already logged.
    if not byte_range or byte_range.replace(" ", "").startswith("bytes=0-"):
        services.audit_download(user=request.user, record=record, succeeded=True)
    response = StreamingHttpResponse(
        download.chunks, status=download.status, content_type=download.content_type
    )
    response._resource_closers.append(download.close)
    if download.content_length is not None:
        response["Content-Length"] = str(download.content_length)
    if download.content_range:
        response["Content-Range"] = download.content_range
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = content_disposition_header(
        request.GET.get("inline") != "1", services.download_filename(record)
    )
    return response


@require_http_methods(["GET", "HEAD"])
def recording_download(request: HttpRequest, recording_id: str) -> HttpResponse:
    _require(request, "download_recordings")
    return _stream(request, get_object_or_404(Recording, telnyx_id=recording_id))


@require_POST
def recording_delete(request: HttpRequest, recording_id: str) -> HttpResponse:
    _require(request, "delete_recordings")
    recording = get_object_or_404(Recording, telnyx_id=recording_id)
    try:
        services.delete_recording(user=request.user, recording=recording)
    except TelnyxError as exc:
        messages.error(request, f"The recording was not deleted: {exc.message}")
    else:
        messages.success(request, f"Deleted {services.download_filename(recording)}.")
    next_url = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("recordings:list")
    return redirect(next_url)


def bulk_delete(request: HttpRequest) -> HttpResponse:
    """GET: preview (count and sample from Telnyx) for the filters; POST: delete once the count is typed."""
    _require(request, "delete_recordings")
    source = request.POST if request.method == "POST" else request.GET
    form = RecordingFilterForm(source, rooms=services.known_rooms())
    filters = form.to_filters()
    context: dict[str, Any] = {"form": form, "filters": filters, "query": urlencode(_filter_params(form))}
    if not form.is_valid() or (request.method == "GET" and not request.GET):
        return render(request, "recordings/bulk_delete.html", context)
    if filters.is_empty:
        context["refused"] = "Choose at least one filter: deleting every recording is not allowed here."
        return render(request, "recordings/bulk_delete.html", context, status=400)
    try:
        preview = services.preview_bulk_delete(filters)
    except services.RecordingsError as exc:
        context["refused"] = exc.message
        return render(request, "recordings/bulk_delete.html", context, status=400)
    except TelnyxError as exc:
        context["telnyx_error"] = exc.message
        return render(request, "recordings/bulk_delete.html", context, status=502)
    context["preview"] = preview
    confirm = BulkDeleteConfirmForm(
        request.POST if request.method == "POST" else None, expected=preview.count
    )
    context["confirm"] = confirm
    if request.method == "POST" and confirm.is_valid():
        try:
            result = services.bulk_delete_recordings(
                user=request.user, filters=filters, confirmed_count=confirm.cleaned_data["confirm_count"]
            )
        except services.RecordingsError as exc:
            context["refused"] = exc.message
            return render(request, "recordings/bulk_delete.html", context, status=409)
        except TelnyxError as exc:
            context["telnyx_error"] = exc.message
            return render(request, "recordings/bulk_delete.html", context, status=502)
        context["result"] = result
        context["preview"] = None
    return render(request, "recordings/bulk_delete.html", context)


def _filter_params(form: RecordingFilterForm) -> dict[str, str]:
    if not form.is_bound:
        return {}
    return {name: form.data[name] for name in form.FILTER_FIELDS if form.data.get(name)}


# --- compositions -------------------------------------------------------------------------------


def composition_list(request: HttpRequest) -> HttpResponse:
    _require(request, "view_dashboard")
    qs = Composition.objects.all()
    session_id = request.GET.get("session_id", "").strip()
    if session_id:
        qs = qs.filter(session_id=session_id)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "compositions/list.html",
        {
            "page": page,
            "compositions": page.object_list,
            "session_id": session_id,
            "can_delete": request.user.has_perm("dashboard.delete_recordings"),
            "can_create": request.user.has_perm("dashboard.create_compositions"),
            "can_download": request.user.has_perm("dashboard.download_recordings"),
        },
    )


def _sources(session_id: str) -> list[tuple[str, str]]:
    return [
        (r.telnyx_id, f"{r.participant_context or r.participant_id[:8]} · {r.duration_secs or 0}s")
        for r in services.session_video_recordings(session_id)
    ]


def composition_new(request: HttpRequest) -> HttpResponse:
    """Choose resolution and layout; preview the layout as drawn rectangles; then create."""
    _require(request, "create_compositions")
    data = request.POST if request.method == "POST" else None
    session_id = ((data or request.GET).get("session_id") or "").strip()
    context: dict[str, Any] = {"session_id": session_id, "recent_sessions": services.recent_sessions()}
    sources: list[tuple[str, str]] = []
    if session_id:
        try:
            sources = _sources(session_id)
        except TelnyxError as exc:
            context["telnyx_error"] = exc.message
    initial = {"session_id": session_id} if session_id else None
    form = CompositionForm(data, initial=initial, sources=sources)
    context["form"] = form
    if data is not None and form.is_valid():
        layout = form.cleaned_data["video_layout"]
        width, height = form.cleaned_data["resolution_size"]
        context["preview"] = _layout_preview(layout, width, height, dict(sources))
        if data.get("action") == "create":
            try:
                composition = services.create_composition(
                    user=request.user,
                    session_id=form.cleaned_data["session_id"],
                    resolution=form.resolution_string,
                    video_layout=layout,
                )
            except services.RecordingsError as exc:
                for name, message in exc.field_errors:
                    form.add_error(name if name in form.fields else None, message)
                if not exc.field_errors:
                    form.add_error(None, exc.message)
            except TelnyxError as exc:
                for name, message in getattr(exc, "field_errors", []) or []:
                    key = (name or "").split("/")[0] or None
                    form.add_error(key if key in form.fields else None, message)
                context["telnyx_error"] = exc.message
            else:
                messages.success(request, "Composition requested; its progress shows below.")
                return redirect("compositions:detail", composition_id=composition.telnyx_id)
    status = 200
    if data is not None and (form.errors or context.get("telnyx_error")):
        status = 502 if context.get("telnyx_error") and not form.errors else 422 if form.errors else 200
    if status == 422:
        status = 200  # the page shows the messages beside the fields; a 4xx would stop htmx swaps
    return render(request, "compositions/new.html", context, status=status)


def _layout_preview(
    layout: dict[str, dict[str, Any]], width: int, height: int, names: dict[str, str]
) -> dict[str, Any]:
    colours = ["#0b6bcb", "#00a37a", "#c2410c"]
    regions = []
    for i, (name, region) in enumerate(sorted(layout.items(), key=lambda kv: kv[1].get("z_pos", 0))):
        sources = region.get("video_sources") or []
        label = (
            "all video"
            if sources == ["*"]
            else ", ".join(names.get(s, s[:8]).split(" · ")[0] for s in sources)
        )
        regions.append(
            {
                "name": name,
                "x": region.get("x_pos", 0),
                "y": region.get("y_pos", 0),
                "w": region.get("width", width),
                "h": region.get("height", height),
                "colour": colours[i % len(colours)],
                "label": label,
                "grid": f"{region.get('max_columns', 'auto')}×{region.get('max_rows', 'auto')}",
            }
        )
    return {"width": width, "height": height, "regions": regions}


def _composition(composition_id: str) -> Composition:
    composition = Composition.objects.filter(telnyx_id=composition_id).first()
    if composition is None:
        raise Http404("No such composition.")
    return composition


def composition_detail(request: HttpRequest, composition_id: str) -> HttpResponse:
    _require(request, "view_dashboard")
    composition = _composition(composition_id)
    context = {
        "composition": composition,
        "can_delete": request.user.has_perm("dashboard.delete_recordings"),
        "can_download": request.user.has_perm("dashboard.download_recordings"),
    }
    return render(request, "compositions/detail.html", context)


def composition_status(request: HttpRequest, composition_id: str) -> HttpResponse:
    """The progress badge, polled by htmx; answers 286 (stop polling) once the status is final."""
    _require(request, "view_dashboard")
    composition = _composition(composition_id)
    response = render(request, "compositions/detail.html#composition-badge", {"composition": composition})
    if composition.is_final:
        response.status_code = 286
    return response


@require_http_methods(["GET", "HEAD"])
def composition_download(request: HttpRequest, composition_id: str) -> HttpResponse:
    _require(request, "download_recordings")
    composition = _composition(composition_id)
    if composition.status != Composition.Status.COMPLETED and not composition.is_archived:
        return render(
            request,
            "recordings/download_failed.html",
            {"record": composition, "error": "This composition is not completed yet."},
            status=409,
        )
    return _stream(request, composition)


@require_POST
def composition_delete(request: HttpRequest, composition_id: str) -> HttpResponse:
    _require(request, "delete_recordings")
    composition = _composition(composition_id)
    try:
        services.delete_composition(user=request.user, composition=composition)
    except TelnyxError as exc:
        messages.error(request, f"The composition was not deleted: {exc.message}")
        return redirect("compositions:detail", composition_id=composition.telnyx_id)
    messages.success(request, "Composition deleted.")
    return redirect("compositions:list")
