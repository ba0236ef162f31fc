"""How a case reads to a person: the place by name, the time left in the stage's own unit, who holds
it. Consoles, the case page, the query page, exports and the printed file all use these."""

from datetime import date, datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from city import calendar

from . import deadlines
from .models import Case, State
from .models.cases import FINAL_STATES


def place_label(case: Case) -> str:
    """The address if there is one, else 社区 and 街道 names; the grid code only as a last resort."""
    if case.address:
        return case.address
    cell = case.cell if case.cell_id else None
    if cell is None:
        return ""
    community = cell.community
    return f"{community.street.name} {community.name}"


def area_names(case: Case) -> dict:
    """Street, community and cell code of the case's grid cell (for lists: names shown, code on hover)."""
    cell = case.cell if case.cell_id else None
    if cell is None:
        return {"street": "", "community": "", "cell": ""}
    return {"street": cell.community.street.name, "community": cell.community.name, "cell": cell.code}


def _working_day_seconds() -> float:
    """The length of a working day (work periods of the next working day), for showing 工作日."""
    day = timezone.localdate()
    for _i in range(15):
        if calendar.is_working_day(day):
            return sum((end - start).total_seconds() for start, end in calendar.work_periods(day)) or 7 * 3600
        day += timedelta(days=1)
    return 7 * 3600


def duration_text(seconds: float, unit: str) -> str:
    """A duration in the stage's unit: 35 分钟, 2.5 工时, 1.5 工作日."""
    seconds = abs(seconds)
    if deadlines.is_natural(unit):
        if seconds < 2 * 3600:
            return _("%(n)s 分钟") % {"n": round(seconds / 60)}
        if seconds < 2 * 86400:
            return _("%(n)s 小时") % {"n": _number(seconds / 3600)}
        return _("%(n)s 天") % {"n": _number(seconds / 86400)}
    if unit == "work_days":
        return _("%(n)s 工作日") % {"n": _number(seconds / _working_day_seconds())}
    return _("%(n)s 工时") % {"n": _number(seconds / 3600)}


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def time_left(case: Case, now: datetime | None = None) -> dict | None:
    """{"text": "剩 2.5 工时" | "超期 1 天", "overdue": bool, "seconds": float} for a running clock."""
    if case.state in FINAL_STATES or case.due_at is None:
        return None
    if case.state == State.SUSPENDED:
        return {"text": _("挂账暂停"), "overdue": False, "seconds": case.paused_remaining_s or 0}
    now = now or timezone.now()
    left = deadlines.remaining(now, case.due_at, case.stage_unit)
    amount = duration_text(left, case.stage_unit)
    text = _("剩 %(t)s") % {"t": amount} if left >= 0 else _("超期 %(t)s") % {"t": amount}
    return {"text": text, "overdue": left < 0, "seconds": left}


def local(moment: datetime | date | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A time in the city's zone, formatted for people (never raw ISO)."""
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        moment = timezone.localtime(moment)
    return moment.strftime(fmt)
