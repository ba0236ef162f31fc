"""Evaluation pages for leaders and supervisors: rankings with 环比/同比, a trend, drill-down to the
cases behind the figures, CSV/XLSX exports, and the printable monthly report (published with the
settings in force)."""

import hashlib
import json
from datetime import date, datetime, timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from city.models import Department
from citymgmt import softcache
from citymgmt.downloads import table_download
from citymgmt.errors import InvalidData
from citymgmt.field_labels import readable
from citymgmt.query import parse_month
from dispatch.display import local, place_label
from dispatch.models import CaseEvent, State
from dispatch.services import utc_iso

from . import display, periods, tables
from .access import may_see
from .indicators import AREA_LEVELS, settings_in_force
from .models import PublishedReport

COMPARE_KEY = {"departments": "score", "areas": "closure_rate", "inspectors": "score", "staff": "score"}
DRILL_LIMIT = 500
ROW_KEY = {"departments": "code", "areas": "code", "inspectors": "username", "staff": "username"}


def _error(request, exc):
    return render(request, "error.html", {"error": exc, "problems": readable(exc.fields)}, status=exc.status)


def _require(request):
    if not may_see(request.user):
        raise PermissionDenied


def _table(name, first, last, level):
    """A complete past period's figures never change: cache them (keyed by the settings too)."""
    if last >= timezone.localdate():
        return tables.compute(name, periods.from_dates(first, last), level)
    settings_key = hashlib.sha256(json.dumps(settings_in_force(), sort_keys=True).encode()).hexdigest()[:16]
    key = f"evaluation:{name}:{first}:{last}:{level}:{settings_key}"
    return softcache.get_or_build(key, lambda: tables.compute(name, periods.from_dates(first, last), level), 86400)


def _params(request):
    first, last = periods.from_query(request.GET)
    level = request.GET.get("level", "street")
    if level not in AREA_LEVELS:
        raise InvalidData(fields={"level": "unknown"})
    return first, last, level


@login_required
def ranking(request, table="departments"):
    _require(request)
    if table not in tables.COLUMNS:
        raise Http404
    try:
        first, last, level = _params(request)
    except InvalidData as exc:
        return _error(request, exc)
    rows = _table(table, first, last, level)
    key, measure = ROW_KEY[table], COMPARE_KEY[table]
    before = {r[key]: r.get(measure) for r in _table(table, *periods.previous(first, last), level)}
    last_year = {r[key]: r.get(measure) for r in _table(table, *periods.year_before(first, last), level)}
    rows = [
        {
            **r,
            "mom": _delta(r.get(measure), before.get(r[key])),
            "yoy": _delta(r.get(measure), last_year.get(r[key])),
        }
        for r in rows
    ]
    for r, cells in zip(rows, display.table_cells(table, tables.COLUMNS[table], rows), strict=True):
        r["cells"] = cells
    context = {
        "table": table,
        "title": tables.TITLES[table],
        "tables": tables.TITLES,
        "columns": display.page_columns(table, tables.COLUMNS[table]),
        "rows": rows,
        "first": first,
        "last": last,
        "level": level,
        "levels": display.AREA_LEVEL_LABELS,
        "measure": dict(tables.COLUMNS[table]).get(measure, measure),
        "query": request.GET.urlencode(),
        "trend": _trend(last) if table == "departments" else None,
    }
    return render(request, "evaluation/ranking.html", context)


def _delta(now, then):
    if now is None or then is None:
        return None
    return round(now - then, 2)


def _trend(last: date, months: int = 12) -> dict:
    """Monthly department scores over the last year, for the trend chart; `top`: the departments
    the chart highlights (the best latest scores), the others drawn thin until hovered."""
    series: dict[str, list] = {}
    labels = []
    month = last.replace(day=1)
    starts = []
    for _i in range(months):
        starts.append(month)
        month = (month - timedelta(days=1)).replace(day=1)
    for start in reversed(starts):
        first, end = periods.month_of(start)
        labels.append(f"{start:%Y-%m}")
        for r in _table("departments", first, min(end, last), "street"):
            series.setdefault(r["name"], [None] * months)[len(labels) - 1] = r["score"]
    return {"labels": labels, "series": series, "top": trend_top(series)}


TREND_HIGHLIGHTED = 5


def trend_top(series: dict[str, list], n: int = TREND_HIGHLIGHTED) -> list[str]:
    """The `n` series with the highest latest score (a department's last month with a score)."""
    latest = {name: next((v for v in reversed(values) if v is not None), None) for name, values in series.items()}
    scored = sorted((name for name, v in latest.items() if v is not None), key=lambda name: (-latest[name], name))
    return scored[:n]


@login_required
def drilldown(request, kind, code):
    """The cases behind a department's or an area's figures: overdue and reworked in the period."""
    _require(request)
    try:
        first, last, _level = _params(request)
    except InvalidData as exc:
        return _error(request, exc)
    period = periods.from_dates(first, last)
    events = period.events().select_related("case", "case__category", "case__cell__community__street")
    if kind == "departments":
        events = events.filter(data__department=code)
    elif kind == "areas":
        events = events.filter(case__cell__code__startswith=code)
    else:
        raise Http404
    late = events.filter(action="handle", data__on_time=False).order_by("created_at")
    rework = events.filter(action="check", data__result="failed").order_by("created_at")
    candidates = events.filter(action__in=["dispatch", "resume", "decide_postpone"]).order_by("-id")[:DRILL_LIMIT]
    overdue_open = [e for e in candidates if _still_overdue(e, period)]
    if kind == "departments":
        department = Department.objects.filter(code=code).first()
        title = department.name if department else code
    else:
        title = display.area_names([code]).get(code, code)
    context = {"kind": kind, "code": code, "title": title, "first": first, "last": last,
               "late": [_drill_row(e, e.data.get("due_at")) for e in late],
               "rework": [_drill_row(e, None) for e in rework],
               "overdue_open": [_drill_row(e, e.data.get("next_due_at"), at=False) for e in overdue_open],
               "query": request.GET.urlencode()}  # fmt: skip
    return render(request, "evaluation/drilldown.html", context)


def _drill_row(event, due_iso, at=True) -> dict:
    """A case behind a figure, as a person reads it: category in the interface language, place by
    name, times in the city's zone."""
    case = event.case
    try:
        due = local(datetime.fromisoformat(due_iso)) if due_iso else ""
    except (TypeError, ValueError):
        due = ""
    return {
        "number": case.number,
        "category": case.category.display_name,
        "place": place_label(case),
        "cell": case.cell.code if case.cell_id else "",
        "at": local(event.created_at) if at else "",
        "due": due,
        "note": event.note,
    }


def _still_overdue(event, period) -> bool:
    """Dispatched by this event, past its due time at the end of the period, not handled by then."""
    due = event.data.get("next_due_at")
    if not due or due >= utc_iso(period.end):
        return False
    later = CaseEvent.objects.filter(case_id=event.case_id, id__gt=event.id, created_at__lt=period.end)
    return not later.exclude(to_state=State.DISPATCHED).exists() and not later.filter(action="handle").exists()


@login_required
def export(request, table, fmt):
    _require(request)
    if table not in tables.COLUMNS or fmt not in ("csv", "xlsx"):
        raise Http404
    try:
        first, last, level = _params(request)
    except InvalidData as exc:
        return HttpResponse(str(exc.message), status=400, content_type="text/plain; charset=utf-8")
    columns = tables.COLUMNS[table]
    rows = [[r.get(c) for c, _label in columns] for r in _table(table, first, last, level)]
    header = [str(label) for _c, label in columns]
    return table_download(fmt, header, rows, f"{table}-{first}-{last}", table)


@login_required
def monthly_report(request):
    """The month's four tables on one printable page; once published, the published figures."""
    _require(request)
    month, error = parse_month(request.GET.get("month") or f"{timezone.localdate():%Y-%m}")
    if error:
        return _error(request, InvalidData(fields={"month": error}))
    published = PublishedReport.objects.filter(month=month).first()
    if published:
        figures, settings_used = published.figures, published.settings_used
    else:
        first, last = periods.month_of(month)
        figures = {name: _table(name, first, last, "street") for name in tables.COLUMNS}
        settings_used = settings_in_force()
    sections = [
        {
            "title": tables.TITLES[name],
            "columns": display.page_columns(name, tables.COLUMNS[name]),
            "rows": display.table_cells(name, tables.COLUMNS[name], figures.get(name, [])),
        }
        for name in tables.COLUMNS
    ]
    publisher = published.published_by if published else None
    context = {"month": month, "sections": sections, "published": published,
               "published_at": local(published.published_at) if published else "",
               "published_by": (publisher.get_full_name() or publisher.username) if publisher else "",
               "settings": display.settings_rows(settings_used),
               "complete": periods.month_of(month)[1] < timezone.localdate()}  # fmt: skip
    return render(request, "evaluation/report.html", context)


@login_required
@require_POST
def publish(request):
    """Publish a finished month: its figures and the settings in force are stored as they are."""
    _require(request)
    month, error = parse_month(request.POST.get("month", ""))
    if error:
        return _error(request, InvalidData(fields={"month": error}))
    first, last = periods.month_of(month)
    if last >= timezone.localdate():
        return _error(request, InvalidData(_("月份尚未结束，不能发布。")))
    figures = {name: tables.compute(name, periods.from_dates(first, last)) for name in tables.COLUMNS}
    # Already published: the first publication stands.
    PublishedReport.objects.get_or_create(
        month=month,
        defaults={
            "settings_used": settings_in_force(),
            "figures": json.loads(json.dumps(figures, default=str)),
            "published_by": request.user,
        },
    )
    return redirect(f"{reverse('evaluation:report')}?month={month:%Y-%m}")
