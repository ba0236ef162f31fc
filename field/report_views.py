"""The attendance and coverage report page (考勤与巡查覆盖) for supervisors and leaders: a day or a
month, per inspector or per street, on screen and as CSV / XLSX."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from citymgmt.downloads import table_download
from citymgmt.errors import InvalidData
from citymgmt.field_labels import readable
from citymgmt.query import parse_day, parse_month

from . import access, reports
from .attendance import status_label


def _columns(by: str, single_day: bool) -> list[tuple[str, str]]:
    if by == "inspector":
        first = [("label", _("监督员")), ("street", _("街道"))]
    else:
        first = [("label", _("街道")), ("inspectors", _("监督员人数"))]
    if single_day and by == "inspector":
        attendance = [("status", _("考勤")), ("first_in", _("上班打卡")), ("last_out", _("下班打卡"))]
    else:
        attendance = [
            ("days_due", _("应出勤天数")), ("days_present", _("出勤天数")), ("late", _("迟到")),
            ("early", _("早退")), ("absent", _("缺勤")), ("leave", _("请假")),
        ]  # fmt: skip
    return first + attendance + [
        ("cells_assigned", _("责任网格数")), ("cells_entered", _("进入网格数")), ("coverage_rate", _("覆盖率 %")),
        ("distance_km", _("里程 (公里)")), ("on_duty_minutes", _("在岗 (分钟)")), ("on_duty_rate", _("在岗率 %")),
    ]  # fmt: skip


def _value(s: reports.Summary, key: str, day_of=None):
    if key == "inspectors":
        return len(s.inspectors)
    if key == "distance_km":
        return round(s.distance_m / 1000, 2)
    if key in ("status", "first_in", "last_out"):
        a = day_of.get(s.key) if day_of else None
        if a is None:
            return ""
        if key == "status":
            return status_label(a.status)
        moment = a.first_in if key == "first_in" else a.last_out
        return timezone.localtime(moment).strftime("%H:%M") if moment else ""
    value = getattr(s, key)
    return "" if value is None else value


def _span(query) -> tuple:
    """(first day, last day, "day" | "month") from ?date=YYYY-MM-DD or ?month=YYYY-MM (today by default)."""
    if query.get("month"):
        first, error = parse_month(query["month"])
        if error:
            raise InvalidData(_("月份须为 YYYY-MM。"), fields={"month": error})
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        return first, last, "month"
    day, error = parse_day(query["date"]) if query.get("date") else (timezone.localdate(), None)
    if error:
        raise InvalidData(_("日期须为 YYYY-MM-DD，且在 2000 至 2099 年之间。"), fields={"date": error})
    return day, day, "day"


@login_required
@require_GET
def report(request, fmt: str = "html"):
    if not access.may_see_everyones(request.user):
        raise PermissionDenied
    by = request.GET.get("by", "inspector")
    try:
        if by not in ("inspector", "street"):
            raise InvalidData(_("汇总方式须为 inspector 或 street。"), fields={"by": "invalid"})
        first, last, kind = _span(request.GET)
    except InvalidData as exc:
        return render(request, "error.html", {"error": exc, "problems": readable(exc.fields)}, status=exc.status)
    days = reports.inspector_days(first, last)
    summaries = reports.by_inspector(days) if by == "inspector" else reports.by_street(days)
    day_of = {c.username: c.attendance for c in days} if kind == "day" else None
    columns = _columns(by, kind == "day")
    rows = [[_value(s, key, day_of) for key, _label in columns] for s in summaries]
    title = _("考勤与巡查覆盖") + f" {first:%Y-%m-%d}" + ("" if kind == "day" else f" — {last:%Y-%m-%d}")
    if fmt in ("csv", "xlsx"):
        return _export(fmt, [str(label) for _key, label in columns], rows, f"field-{by}-{first:%Y%m%d}-{kind}")
    query = request.GET.copy()
    return render(
        request,
        "field/report.html",
        {
            "title": title, "columns": [label for _k, label in columns], "rows": rows, "by": by, "kind": kind,
            "day": first if kind == "day" else None, "month": first if kind == "month" else None,
            "query": query.urlencode(), "may_decide_leave": access.may_decide_leave(request.user),
        },
    )  # fmt: skip


def _export(fmt, header, rows, name):
    return table_download(fmt, header, rows, name, str(_("考勤与巡查覆盖")))
