"""Pages about cases wherever they are in the loop: 综合查询 (`/cases/`), the case page, its print
layout and PDF (案卷), and the query's exports. Thin views over `search`, `casefile`, `display`."""

import csv
import io
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from city.basemap import map_config
from city.models import Department, Street
from citymgmt.errors import InvalidData, TooLarge

from . import board, display, search
from .access import visible_cases
from .casefile import case_file, reporter_kind
from .models import Light, Source, State

EXPORT_MAX = 50_000
PDF_BATCH_MAX = 200

# The list's columns, in order: (sort key or None, heading).
COLUMNS = [
    ("number", "案卷号"),
    ("category", "类别"),
    ("state", "状态"),
    ("department", "处置部门"),
    ("due_at", "剩余时限"),
    ("source", "来源"),
    ("place", "位置"),
    ("reported_at", "上报时间"),
]


def _require_query(request):
    if not search.may_query(request.user):
        raise PermissionDenied


def row(case, now) -> dict:
    """One line of a case list, in words."""
    left = display.time_left(case, now)
    names = display.area_names(case)
    return {
        "number": case.number,
        "category": case.category.display_name,
        "category_code": case.category.full_code,
        "state": str(State(case.state).label),
        "department": case.department.name if case.department_id else "",
        "time_left": left["text"] if left else "",
        "overdue": bool(left and left["overdue"]),
        "light": case.light,
        "light_label": str(Light(case.light).label) if case.light else "",
        "source": str(Source(case.source).label) + (f" {case.source_label}" if case.source_label else ""),
        "reporter_kind": reporter_kind(case),
        "place": display.place_label(case),
        "cell": names["cell"],
        "area": f"{names['street']} {names['community']}".strip(),
        "reported_at": display.local(case.reported_at),
        "closed_at": display.local(case.closed_at),
        "urgent": case.urgency == "urgent",
    }


def _headings():
    return [(key, _(label)) for key, label in COLUMNS]


@login_required
@require_GET
def cases(request):
    """综合查询. A case number typed in any header's search box jumps straight to its page."""
    _require_query(request)
    q = (request.GET.get("q") or "").strip()
    if search.kind_of(q, phone_allowed=False) == search.TextKind.FULL_NUMBER:
        if visible_cases(request.user).filter(number=q.upper()).exists():
            return redirect("dispatch:case", q.upper())
    sort = request.GET.get("sort") or ""
    found = search.search(request.user, request.GET, sort=sort)
    page = search.page_of(found, request.GET, sort)
    now = timezone.now()
    params = request.GET.copy()
    for name in ("page", "after", "before"):
        params.pop(name, None)
    context = {
        "title": _("综合查询"),
        "rows": [row(c, now) for c in page.cases],
        "headings": _headings(),
        "sort": sort,
        "page": page.number,
        "has_next": page.has_next,
        "next_cursor": page.next_cursor,
        "prev_cursor": page.prev_cursor,
        "total": page.total,
        "capped": page.capped,
        "count_cap": f"{search.COUNT_CAP:,}",
        "query": params.urlencode(),
        "query_without_sort": _without(params, "sort"),
        "selected_states": request.GET.getlist("state"),
        "states": State.choices,
        "sources": Source.choices,
        "lights": [c for c in Light.choices if c[0]],
        "instructed_choices": search.INSTRUCTED_CHOICES,
        "urged_choices": search.URGED_CHOICES,
        "departments": Department.objects.filter(active=True).order_by("code"),
        "streets": Street.objects.order_by("code"),
        "may_search_phone": search.may_search_phone(request.user),
        "pdf_max": PDF_BATCH_MAX,
    }
    return render(request, "dispatch/cases.html", context)


def _without(params, name) -> str:
    params = params.copy()
    params.pop(name, None)
    return params.urlencode()


@login_required
@require_GET
def cases_export(request, fmt):
    """The same query as CSV or XLSX (up to EXPORT_MAX rows)."""
    _require_query(request)
    if fmt not in ("csv", "xlsx"):
        raise Http404
    now = timezone.now()
    found = search.search(request.user, request.GET, sort=request.GET.get("sort"))[:EXPORT_MAX]
    header = [str(_(h)) for h in ("案卷号", "类别编码", "类别", "状态", "处置部门", "剩余时限", "来源", "上报人类型",
                                  "位置", "街道 社区", "网格", "上报时间", "结案时间")]  # fmt: skip
    rows = []
    for case in found.iterator(chunk_size=2000):
        r = row(case, now)
        rows.append([r["number"], r["category_code"], r["category"], r["state"], r["department"], r["time_left"],
                     r["source"], r["reporter_kind"], r["place"], r["area"], r["cell"], r["reported_at"],
                     r["closed_at"]])  # fmt: skip
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        out = io.StringIO()
        out.write("\ufeff")  # Excel reads UTF-8 CSV as Chinese only with a BOM
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(_safe(r) for r in rows)
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    else:
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(str(_("综合查询")))
        sheet.append(header)
        for r in rows:
            sheet.append(_safe(r))
        out = io.BytesIO()
        book.save(out)
        response = HttpResponse(
            out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    response["Content-Disposition"] = f'attachment; filename="cases-{stamp}.{fmt}"'
    return response


def _safe(values):
    """No cell may start a spreadsheet formula (CSV injection)."""
    return [f"'{v}" if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v for v in values]


def _visible_case(request, number):
    case = visible_cases(request.user).select_related(
        "category", "department", "cell__community__street", "reporter", "duplicate_of"
    )
    case = case.filter(number=number).first()
    if case is None:
        raise Http404
    return case


TRAIL_AROUND = timedelta(minutes=30)


def _reporter_trail(case) -> dict | None:
    """Where the reporting inspector's trail ± 30 min around the report comes from (the maps' track
    feed answers only those allowed to see trails; the page draws nothing otherwise)."""
    if case.source != Source.INSPECTOR or case.reporter is None:
        return None
    days = sorted({timezone.localdate(case.reported_at + d) for d in (-TRAIL_AROUND, TRAIL_AROUND)})
    query = [urlencode({"inspector": case.reporter.username, "date": d.isoformat()}) for d in days]
    return {
        "urls": [f"{reverse('maps:track')}?{q}" for q in query],
        "from": (case.reported_at - TRAIL_AROUND).isoformat(),
        "to": (case.reported_at + TRAIL_AROUND).isoformat(),
    }


@login_required
@require_GET
def case_page(request, number):
    """The case page: the console panel's content, full width and linkable."""
    case = _visible_case(request, number)
    consoles = [
        {"url": reverse("dispatch:console", args=[name]), "label": title}
        for name, title in board.console_titles().items()
        if board.may_open(request.user, name)
    ]
    context = {
        "file": case_file(case, request.user),
        "title": case.number,
        "map": {**map_config(), "trail": _reporter_trail(case)},
        "consoles": consoles,
    }
    return render(request, "dispatch/case.html", context)


@login_required
@require_GET
def case_print(request, number):
    """案卷 for printing on A4 (the browser's print dialog)."""
    case = _visible_case(request, number)
    return render(request, "dispatch/case_print.html", _print_context(request, [case], pdf=False))


def _print_context(request, found, pdf: bool) -> dict:
    return {
        "files": [case_file(c, request.user) for c in found],
        "pdf": pdf,
        "city": settings.CITY_NAME,
        "printed_at": display.local(timezone.now()),
        "printed_by": request.user.get_full_name() or request.user.get_username(),
    }


def _pdf(request, found, filename) -> HttpResponse:
    from weasyprint import HTML

    html = render_to_string("dispatch/case_print.html", _print_context(request, found, pdf=True), request=request)
    # Photos are read from our own storage (file:// paths in the template), never over the network.
    document = HTML(string=html, base_url=str(settings.MEDIA_ROOT), url_fetcher=_local_fetcher())
    response = HttpResponse(document.write_pdf(), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _local_fetcher():
    """WeasyPrint may read files under MEDIA_ROOT and nothing else (no network, no other files)."""
    from pathlib import Path
    from urllib.parse import unquote

    from weasyprint.urls import URLFetcher

    media = Path(settings.MEDIA_ROOT).resolve()

    class LocalFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("file://") and media in Path(unquote(url[7:])).resolve().parents:
                return super().fetch(url, headers)
            raise ValueError(f"not fetched: {url[:80]}")

    return LocalFetcher(allowed_protocols=["file"])


@login_required
@require_GET
def case_pdf(request, number):
    case = _visible_case(request, number)
    return _pdf(request, [case], f"{case.number}.pdf")


@login_required
@require_GET
def cases_pdf(request):
    """A query's cases as one PDF, up to PDF_BATCH_MAX."""
    _require_query(request)
    found = list(search.search(request.user, request.GET, sort=request.GET.get("sort"))[: PDF_BATCH_MAX + 1])
    if len(found) > PDF_BATCH_MAX:
        raise TooLarge(
            _("一次最多打印 %(n)s 件案卷，请缩小查询范围。") % {"n": PDF_BATCH_MAX}, fields={"q": "too_many"}
        )
    if not found:
        raise InvalidData(_("没有符合条件的案卷。"), fields={"q": "none"})
    stamp = datetime.now().strftime("%Y%m%d-%H%M")
    return _pdf(request, found, f"cases-{stamp}.pdf")


def case_url(number: str) -> str:
    return reverse("dispatch:case", args=[number])
