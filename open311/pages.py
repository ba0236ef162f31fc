"""The public report page /report/ (no login) and a case's public status page /report/<number>/.

A report goes through the same Open311 intake as any client (`georeport.file_request`) under the
built-in client (source `web`); each address may file a few reports a minute."""

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from city.basemap import map_config
from city.gazetteer import initials
from city.models import Category
from citymgmt.errors import DomainError, InvalidData

from . import clients, georeport, public


def _address(request) -> str:
    # REMOTE_ADDR, not X-Forwarded-For: a client can write any header; the proxy sets REMOTE_ADDR.
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _groups():
    groups = {}
    for c in Category.objects.filter(active=True).order_by("kind", "major_code", "code"):
        c.search_keys = " ".join((c.name, initials(c.name), c.name_en, c.full_code)).lower()
        groups.setdefault(f"{c.get_kind_display()} · {georeport.major_name(c)}", []).append(c)
    return list(groups.items())


@require_http_methods(["GET", "POST"])
def report(request):
    error, values = "", {}
    if request.method == "POST":
        values = request.POST
        try:
            clients.count(f"addr:{_address(request)}", settings.REPORT_PAGE_PER_ADDRESS_PER_MINUTE)
            params = {
                k: request.POST.get(k, "")
                for k in ("service_code", "lat", "long", "address_string", "description", "phone")
            }
            if not params["description"].strip():
                raise InvalidData(_("请描述问题。"), fields={"description": "required"})
            answer = georeport.file_request(clients.built_in_client(), params, request.FILES.getlist("photo")[:1])
            return redirect("report-status", number=answer[0]["service_request_id"])
        except DomainError as exc:
            error = exc.message
    return render(
        request,
        "open311/report.html",
        {"groups": _groups(), "map_config": map_config(), "error": error, "values": values},
        status=400 if error else 200,
    )


def status(request, number):
    try:
        case = georeport.one_request(number)
    except DomainError as exc:
        raise Http404 from exc
    return render(
        request,
        "open311/status.html",
        {
            "case": case,
            "status": public.status_notes(case),
            "closed": public.open_or_closed(case) == "closed",
            "steps": public.timeline(case),
            "description": public.scrub(case.description, case),
        },
    )
