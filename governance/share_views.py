"""Share links: making and revoking them (admins and moderators), and the public link page, which
plays and downloads without an account (``login_not_required``; the token is the credential)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from dashboard.errors import NotFound, UserError, add_to_form
from dashboard.pages import HtmxRequest
from dashboard.roles import permission_required
from governance import bundles, shares
from governance.forms import ShareForm
from governance.models import ShareLink
from recordings.responses import download_response
from recordings.services.downloads import RangeNotSatisfiable, open_file


@permission_required("moderate_sessions")
def share_manage(request: HtmxRequest) -> HttpResponse:
    """The links (and their uses) of one item, or of every item; POST makes a link and shows its
    address once."""
    kind = request.POST.get("kind") or request.GET.get("kind", "")
    target_id = request.POST.get("target_id") or request.GET.get("target_id", "")
    form = ShareForm(request.POST or None, initial={"kind": kind, "target_id": target_id})
    new_url = ""
    if request.method == "POST" and form.is_valid():
        try:
            link, token = shares.create_link(user=request.user, **form.cleaned_data)
        except UserError as exc:
            add_to_form(form, exc)
        else:
            new_url = request.build_absolute_uri(reverse("share:page", args=[token]))
            messages.success(request, f"Share link {link.pk} made; copy it now, it is shown only once.")
    context = {
        "form": form,
        "kind": kind,
        "target_id": target_id,
        "new_url": new_url,
        "links": shares.links_for(kind=kind, target_id=target_id)[:100],
    }
    return render(request, "governance/shares.html", context)


@permission_required("moderate_sessions")
@require_POST
def share_revoke(request: HtmxRequest, link_id: int) -> HttpResponse:
    try:
        link = shares.revoke_link(user=request.user, link_id=link_id)
    except UserError as exc:
        messages.error(request, exc.message)
        return redirect("governance:shares")
    messages.success(request, f"Share link {link.pk} revoked.")
    return redirect(f"{reverse('governance:shares')}?kind={link.kind}&target_id={link.target_id}")


def _address(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _open(request: HttpRequest, token: str) -> ShareLink | HttpResponse:
    try:
        return shares.resolve(token)
    except NotFound as exc:
        return render(request, "governance/share_refused.html", {"error": exc.message}, status=404)
    except shares.LinkUnusable as exc:
        return render(request, "governance/share_refused.html", {"error": exc.message}, status=410)


@login_not_required
@never_cache
@require_http_methods(["GET", "HEAD"])
def share_page(request: HttpRequest, token: str) -> HttpResponse:
    link = _open(request, token)
    if isinstance(link, HttpResponse):
        return link
    shares.record_use(link, address=_address(request), what="opened the page")
    context = {"link": link, "token": token, "items": shares.shared_items(link)}
    return render(request, "governance/share_page.html", context)


@login_not_required
@never_cache
@require_http_methods(["GET", "HEAD"])
def share_file(request: HttpRequest, token: str, telnyx_id: str) -> HttpResponseBase:
    link = _open(request, token)
    if isinstance(link, HttpResponse):
        return link
    byte_range = request.headers.get("Range")
    try:
        record = shares.shared_record(link, telnyx_id)
        download = open_file(record=record, byte_range=byte_range)
    except RangeNotSatisfiable:
        return HttpResponse(status=416)
    except UserError as exc:
        status = 404 if isinstance(exc, NotFound) else 502
        return render(request, "governance/share_refused.html", {"error": exc.message}, status=status)
    inline = request.GET.get("inline") == "1"
    if not byte_range or byte_range.replace(" ", "").startswith("bytes=0-"):
        verb = "played" if inline else "downloaded"
        shares.record_use(link, address=_address(request), what=f"{verb} {telnyx_id}")
    return download_response(download, inline=inline)


@login_not_required
@never_cache
@require_http_methods(["GET", "HEAD"])
def share_bundle(request: HttpRequest, token: str) -> HttpResponseBase:
    link = _open(request, token)
    if isinstance(link, HttpResponse):
        return link
    if link.kind != ShareLink.Kind.SESSION:
        return render(
            request, "governance/share_refused.html", {"error": "This link opens one file."}, status=404
        )
    bundle = bundles.session_bundle(link.target_id)
    shares.record_use(link, address=_address(request), what="downloaded the session bundle")
    response = StreamingHttpResponse(bundle, content_type="application/zip")
    if bundle.size is not None:
        response["Content-Length"] = str(bundle.size)
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = content_disposition_header(True, bundle.filename) or "attachment"
    return response
