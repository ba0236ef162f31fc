"""How a case reads to a person: the place by name, the time left in the stage's own unit, who holds
it. Consoles, the case page, the query page, exports and the printed file all use these."""

from datetime import date, datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from city import calendar
from city.models import Department

from . import deadlines
from .models import Case, State
from .models.cases import FINAL_STATES, PUBLIC_SOURCES


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
    if case.state == State.SUSPENDED and case.paused_remaining_s is not None:  # 挂账 clears due_at
        return {"text": _("挂账暂停"), "overdue": False, "seconds": case.paused_remaining_s}
    if case.state in FINAL_STATES or case.due_at is None:
        return None
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


def reporter_kind(case: Case) -> str:
    """Who reported: a resident (hotline, SMS, voice, Open311) or an inspector on patrol."""
    return "public" if case.source in PUBLIC_SOURCES else "inspector"


def reporter_kinds() -> dict:
    return {"public": _("市民"), "inspector": _("监督员")}


def asked_hours_text(amount: int | None, unit: str) -> str:
    """A postponement's amount in the stage's own unit (what approval applies: deadlines.extend):
    30 分钟, 2 工时 or 2 工作日."""
    if amount is None:
        return ""
    if deadlines.is_natural(unit):
        return _("%(n)s 分钟") % {"n": amount}
    if unit == "work_days":
        return _("%(n)s 工作日") % {"n": amount}
    return _("%(n)s 工时") % {"n": amount}


def pending_request(case: Case, now: datetime | None = None) -> dict | None:
    """What a department asked for, as the person who decides reads it before approving: the hours
    in the stage's unit, the due time now and the due time if approved (computed here, with the
    same rule the approval applies: dispatch.deadlines.extend)."""
    if not case.pending_request:
        return None
    facts = {
        "kind": case.pending_request,
        "reason": case.pending_reason,
        "hours": case.pending_hours,
        "asked": "",
        "due_now": local(case.due_at),
        "due_if_approved": "",
    }
    if case.pending_request == "postpone" and case.pending_hours and case.due_at is not None:
        facts["asked"] = asked_hours_text(case.pending_hours, case.stage_unit)
        facts["due_if_approved"] = local(deadlines.extended_due(case, case.pending_hours))
    elif case.pending_request == "suspend":
        # 挂账 stops the clock: what is left now is kept and runs again on resume.
        left = time_left(case, now)
        facts["asked"] = _("挂账（暂停计时）")
        if left:
            facts["due_if_approved"] = _("恢复后剩 %(t)s") % {"t": duration_text(left["seconds"], case.stage_unit)}
    return facts


def returns(case: Case) -> list[dict]:
    """The case's returns (回退): which department, why, when; newest last."""
    events = list(case.events.filter(action="return").order_by("id").values("data", "note", "created_at"))
    codes = {e["data"].get("department") for e in events if isinstance(e["data"], dict)}
    names = dict(Department.objects.filter(code__in=codes - {None}).values_list("code", "name"))
    result = []
    for e in events:
        code = e["data"].get("department") if isinstance(e["data"], dict) else None
        name = names.get(code, code or "")
        result.append({"department": code, "department_name": name, "reason": e["note"], "at": local(e["created_at"])})
    return result
