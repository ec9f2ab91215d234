"""Pages of recordings and compositions. Thin: parse, check permission, call a service, render."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from dashboard.converters import is_telnyx_id
from dashboard.errors import NotFound, Refused, UserError, add_to_form
from dashboard.pages import HtmxRequest, page_number, partial_for, query_without
from dashboard.roles import permission_required
from governance import holds
from recordings import charts, layouts
from recordings.forms import (
    BulkDeleteConfirmForm,
    CompositionFilterForm,
    CompositionForm,
    RecordingFilterForm,
)
from recordings.models import Composition, Recording
from recordings.responses import download_response
from recordings.services import browse, compositions, deletion, downloads, sync

PAGE_SIZE = 50


@permission_required("view_dashboard")
def recording_list(request: HtmxRequest) -> HttpResponse:
    summary = browse.current_summary()  # kept figures, rooms and last sync: one query
    form = RecordingFilterForm(
        request.GET or None,
        rooms=browse.known_rooms(summary),
        participants=browse.known_participants(summary),
    )
    filters = form.to_filters()
    sort = form.sort_key if form.is_bound else "-date"
    page = browse.recording_page(
        filters, sort=sort, number=page_number(request), per_page=PAGE_SIZE, summary=summary
    )
    context = {
        "form": form,
        "page": page,
        "recordings": page.rows,
        "totals": page.totals,
        "filters": filters,
        "query": query_without(request, "page"),
        "sort_query": query_without(request, "page", "sort"),
        "sort": sort,
        "chart": charts.storage_bars(browse.storage_per_day(summary=summary)),
        "last_sync": summary.last_sync,
        "can_delete": request.user.has_perm("dashboard.delete_recordings"),
        "can_download": request.user.has_perm("dashboard.download_recordings"),
        "can_share": request.user.has_perm("dashboard.moderate_sessions"),
    }
    template = partial_for(request, "recordings/list.html", {"recordings-table": "recordings-table"})
    return render(request, template, context)


@permission_required("view_dashboard")
@require_POST
def sync_now(request: HtmxRequest) -> HttpResponse:
    # Anyone who sees recordings may ask for an incremental sync; a full one walks every page.
    full = request.POST.get("full") == "1" and request.user.has_perm("dashboard.delete_recordings")
    try:
        asked = sync.request_sync(user=request.user, full=full)
    except Refused as exc:
        messages.warning(request, exc.message)
    else:
        messages.info(request, asked.message)
    return redirect("recordings:list")


def _failed_status(error: UserError) -> int:
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, downloads.NotReady):
        return 409
    return 502


def _serve(request: HtmxRequest, record: Recording | Composition) -> HttpResponseBase:
    """The record's file as a streaming response (206 for a range); the response closes the
    download when it is done, whether the browser read it all or went away."""
    try:
        download = downloads.open_download(
            user=request.user,
            record=record,
            byte_range=request.headers.get("Range"),
            play=request.GET.get("inline") == "1",
        )
    except downloads.RangeNotSatisfiable as exc:
        refusal = HttpResponse(status=416)
        if exc.total:
            refusal["Content-Range"] = f"bytes */{exc.total}"
        return refusal
    except UserError as exc:
        context = {"record": record, "error": exc.message}
        return render(request, "recordings/download_failed.html", context, status=_failed_status(exc))
    return download_response(download, inline=request.GET.get("inline") == "1")


@permission_required("download_recordings")
@require_http_methods(["GET", "HEAD"])
def recording_download(request: HtmxRequest, recording_id: str) -> HttpResponseBase:
    return _serve(request, get_object_or_404(Recording, telnyx_id=recording_id))


@permission_required("delete_recordings")
@require_POST
def recording_delete(request: HtmxRequest, recording_id: str) -> HttpResponse:
    recording = get_object_or_404(Recording, telnyx_id=recording_id)
    try:
        deletion.delete_recording(user=request.user, recording=recording)
    except UserError as exc:
        messages.error(request, f"The recording was not deleted: {exc.message}")
    else:
        messages.success(request, f"Deleted {downloads.download_filename(recording)}.")
    next_url = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("recordings:list")
    # A plain redirect: ``redirect("1")`` would look "1" up as a view name and fail with a 500.
    return HttpResponseRedirect(next_url)


@permission_required("delete_recordings")
def bulk_delete(request: HtmxRequest) -> HttpResponse:
    """GET: preview (every matching id, from Telnyx) for the filters; POST: delete exactly the
    previewed set once the count is typed, or refuse (409) and show the new preview if it changed."""
    posted = request.method == "POST"
    form = RecordingFilterForm(request.POST if posted else request.GET, rooms=browse.known_rooms())
    filters = form.to_filters()
    context: dict[str, Any] = {"form": form, "filters": filters, "query": urlencode(_filter_params(form))}
    if not form.is_valid() or (not posted and not request.GET):
        return render(request, "recordings/bulk_delete.html", context)
    confirm = BulkDeleteConfirmForm(request.POST) if posted else None
    try:
        if confirm is not None and confirm.is_valid():
            context["result"] = deletion.bulk_delete_recordings(
                user=request.user, filters=filters, preview_token=confirm.cleaned_data["preview_token"]
            )
            return render(request, "recordings/bulk_delete.html", context)
        preview = deletion.preview_bulk_delete(filters=filters)
    except deletion.PreviewChanged as exc:
        fresh = BulkDeleteConfirmForm(initial={"preview_token": exc.preview.token})
        context.update(preview=exc.preview, confirm=fresh, refused=exc.message)
        return render(request, "recordings/bulk_delete.html", context, status=409)
    except Refused as exc:
        context["refused"] = exc.message
        return render(request, "recordings/bulk_delete.html", context, status=400)
    except UserError as exc:
        context["telnyx_error"] = exc.message
        return render(request, "recordings/bulk_delete.html", context, status=502)
    if confirm is None:
        confirm = BulkDeleteConfirmForm(initial={"preview_token": preview.token})
    else:
        data = request.POST.copy()
        data["preview_token"] = preview.token  # the set shown now is the one to confirm
        confirm.data = data
    context.update(preview=preview, confirm=confirm)
    return render(request, "recordings/bulk_delete.html", context)


def _filter_params(form: RecordingFilterForm) -> dict[str, str]:
    if not form.is_bound:
        return {}
    return {name: form.data[name] for name in form.FILTER_FIELDS if form.data.get(name)}


# --- compositions -------------------------------------------------------------------------------


@permission_required("view_dashboard")
def composition_list(request: HtmxRequest) -> HttpResponse:
    form = CompositionFilterForm(request.GET or None)
    form.is_valid()  # a bad value filters nothing; its error shows beside its field
    data = getattr(form, "cleaned_data", {})
    session_id = data.get("session_id", "")
    if "session_id" in form.errors:
        messages.error(request, "That is not a session id (a UUID); no composition matches it.")
        listed = Composition.objects.none()
    else:
        listed = browse.filter_compositions(session_id=session_id, hold=data.get("hold", ""))
    page = Paginator(listed, PAGE_SIZE).get_page(page_number(request))
    room_names = dict(browse.known_rooms())
    context = {
        "form": form,
        "page": page,
        "compositions": page.object_list,
        "rows": [(c, room_names.get(c.room_id) or "", _room_url(c.room_id)) for c in page.object_list],
        "session_id": session_id,
        "query": query_without(request, "page"),
        "can_delete": request.user.has_perm("dashboard.delete_recordings"),
        "can_create": request.user.has_perm("dashboard.create_compositions"),
        "can_download": request.user.has_perm("dashboard.download_recordings"),
        "can_share": request.user.has_perm("dashboard.moderate_sessions"),
    }
    return render(request, "compositions/list.html", context)


def _room_url(room_id: str) -> str:
    """The room's page, for a room named by a real Telnyx id (else no link)."""
    return reverse("rooms:detail", args=[room_id]) if is_telnyx_id(room_id) else ""


@permission_required("create_compositions")
def composition_new(request: HtmxRequest) -> HttpResponse:
    """Choose resolution and layout; preview the layout as drawn rectangles; then create.

    A refusal shows beside the fields (200, so htmx swaps it in); Telnyx unreachable or the session
    unknown shows as a banner (502).
    """
    data = request.POST if request.method == "POST" else None
    session_id = ((data or request.GET).get("session_id") or "").strip()
    context: dict[str, Any] = {"session_id": session_id, "recent_sessions": browse.recent_sessions()}
    sources: list[tuple[str, str]] = []
    if is_telnyx_id(session_id):  # anything else: the form says so beside the field
        try:
            sources = compositions.video_sources(session_id=session_id)
        except UserError as exc:
            context["telnyx_error"] = exc.message
    form = CompositionForm(data, initial={"session_id": session_id} if session_id else None, sources=sources)
    context["form"] = form
    if data is not None and form.is_valid():
        layout = form.cleaned_data["video_layout"]
        width, height = form.cleaned_data["resolution_size"]
        context["preview"] = layouts.preview(layout, width=width, height=height, names=dict(sources))
        if data.get("action") == "create":
            try:
                composition = compositions.create_composition(
                    user=request.user,
                    session_id=form.cleaned_data["session_id"],
                    resolution=form.resolution_string,
                    video_layout=layout,
                )
            except Refused as exc:
                add_to_form(form, exc)
            except UserError as exc:
                context["telnyx_error"] = exc.message
            else:
                messages.success(request, "Composition requested; its progress shows below.")
                return redirect("compositions:detail", composition_id=composition.telnyx_id)
    failed = data is not None and context.get("telnyx_error") and not form.errors
    return render(request, "compositions/new.html", context, status=502 if failed else 200)


@permission_required("view_dashboard")
def composition_detail(request: HtmxRequest, composition_id: str) -> HttpResponse:
    composition = get_object_or_404(Composition, telnyx_id=composition_id)
    place = compositions.composition_place(composition)
    drawing = None
    if isinstance(composition.video_layout, dict) and composition.video_layout:
        width, height = layouts.parse_resolution(composition.resolution)
        drawing = layouts.preview(
            composition.video_layout, width=width, height=height, names=place.source_names
        )
    context = {
        "composition": composition,
        "place": place,
        "room_url": _room_url(composition.room_id),
        "session_url": reverse("sessions:detail", args=[composition.session_id])
        if is_telnyx_id(composition.session_id)
        else "",
        "preview": drawing,
        "can_delete": request.user.has_perm("dashboard.delete_recordings"),
        "can_download": request.user.has_perm("dashboard.download_recordings"),
        "can_share": request.user.has_perm("dashboard.moderate_sessions"),
        "held": holds.is_held(composition),
    }
    return render(request, "compositions/detail.html", context)


@permission_required("view_dashboard")
def composition_status(request: HtmxRequest, composition_id: str) -> HttpResponse:
    """The progress badge, polled by htmx; answers 286 (stop polling) once the status is final."""
    composition = get_object_or_404(Composition, telnyx_id=composition_id)
    response = render(request, "compositions/detail.html#composition-badge", {"composition": composition})
    if composition.is_final:
        response.status_code = 286
    return response


@permission_required("download_recordings")
@require_http_methods(["GET", "HEAD"])
def composition_download(request: HtmxRequest, composition_id: str) -> HttpResponseBase:
    return _serve(request, get_object_or_404(Composition, telnyx_id=composition_id))


@permission_required("delete_recordings")
@require_POST
def composition_delete(request: HtmxRequest, composition_id: str) -> HttpResponse:
    composition = get_object_or_404(Composition, telnyx_id=composition_id)
    try:
        deletion.delete_composition(user=request.user, composition=composition)
    except UserError as exc:
        messages.error(request, f"The composition was not deleted: {exc.message}")
        return redirect("compositions:detail", composition_id=composition.telnyx_id)
    messages.success(request, "Composition deleted.")
    return redirect("compositions:list")
