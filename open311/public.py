"""What the public may know about a case: its open/closed status in words and the public steps of
its timeline (registered, rejected with reason, merged, dispatched to a department, handled,
closed, reopened). Never a resident's name or phone: free texts are shown with any run of digits
long enough to be a phone number masked."""

import re

from django.utils.translation import gettext as _

from city.models import Department
from dispatch.models import State
from dispatch.models.cases import FINAL_STATES

_PHONE_LIKE = re.compile(r"\+?\d[\d\s-]{5,}\d")


def scrub(text: str, case=None) -> str:
    """Free text for the public: digit runs of 7 or more (phone numbers) masked, and the case's
    reporter's name (whole, without spaces, and each part of two characters or more)."""
    text = _PHONE_LIKE.sub(lambda m: "*" * len(m.group()), text or "")
    name = (getattr(case, "reporter_name", "") or "").strip()
    if name:
        parts = {name, name.replace(" ", ""), *(p for p in name.split() if len(p) >= 2)}
        parts |= {"".join(reversed(name.split()))} if " " in name else set()
        for part in sorted(parts, key=len, reverse=True):
            text = text.replace(part, "*" * len(part))
    return text


def open_or_closed(case) -> str:
    return "closed" if case.state in FINAL_STATES else "open"


def status_notes(case) -> str:
    """The case's status in words, in the active language."""
    label = str(State(case.state).label)
    if case.state == State.DUPLICATE and case.duplicate_of_id:
        return _("%(state)s：已与案卷 %(n)s 合并处理") % {"state": label, "n": case.duplicate_of.number}
    if case.state in (State.REJECTED, State.CANCELLED):
        reason = case.events.filter(to_state=case.state).order_by("-id").values_list("note", flat=True).first()
        if reason:
            return f"{label}：{scrub(reason, case)}"
    if case.state in (State.DISPATCHED, State.SUSPENDED, State.HANDLED, State.CHECKING) and case.department_id:
        return _("%(state)s（%(dept)s）") % {"state": label, "dept": department_name(case.department)}
    return label


def department_name(department) -> str:
    from django.utils.translation import get_language

    if department is None:
        return ""
    english = (get_language() or "").startswith("en")
    return department.name_en if english and department.name_en else department.name


# The public steps: (kind, test on the event).
def step_kind(event) -> str | None:
    """Which public step an event is, or None for internal ones (verification, urging, lights…)."""
    if event.action == "report":
        return "reported"
    if event.action == "register" and event.to_state == State.REGISTERED:
        return "registered"
    if event.action == "reject":
        return "rejected"
    if event.action == "merge":
        return "merged"
    if event.action == "cancel":
        return "cancelled"
    if event.action == "dispatch":
        return "dispatched"
    if event.action == "handle":
        return "handled"
    if event.to_state == State.CLOSED and event.from_state != State.CLOSED:
        return "closed"
    if event.action == "check" and event.to_state == State.DISPATCHED:
        return "reopened"
    return None


def step_label(kind: str) -> str:
    return {
        "reported": _("已受理"),
        "registered": _("已立案"),
        "rejected": _("不予立案"),
        "merged": _("已合并"),
        "cancelled": _("已作废"),
        "dispatched": _("已派遣"),
        "handled": _("已处置"),
        "closed": _("已结案"),
        "reopened": _("核查未通过，重新处置"),
    }[kind]


def step(event, case, departments=None) -> dict | None:
    """One public step: {id, kind, label, at, status, note, department}."""
    kind = step_kind(event)
    if kind is None:
        return None
    note = ""
    if kind in ("rejected", "cancelled", "handled", "closed"):
        note = scrub(event.note, case)
    if kind == "merged" and case.duplicate_of_id:
        note = _("已与案卷 %(n)s 合并处理") % {"n": case.duplicate_of.number}
    dept = ""
    code = (event.data or {}).get("department")
    if kind in ("dispatched", "handled", "reopened") and code:
        departments = departments if departments is not None else {}
        if code not in departments:
            departments[code] = Department.objects.filter(code=code).first()
        dept = department_name(departments[code])
    return {
        "id": event.id,
        "kind": kind,
        "label": step_label(kind),
        "at": event.created_at,
        "status": "closed" if event.to_state in FINAL_STATES else "open",
        "note": note,
        "department": dept,
    }


def timeline(case) -> list[dict]:
    departments = {}
    steps = (step(e, case, departments) for e in case.events.order_by("id"))
    return [s for s in steps if s is not None]
