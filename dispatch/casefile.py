"""案卷: everything about one case, as a person reads it — facts, place by name, reporter (masked by
role), photos by stage, the timeline with who acted as which department and to whom, each stage's
time against its limit, duplicates, and what this user may do. The case page, its print layout and
the PDF all render this one dictionary.

Other apps add sections (the hotline: the SMS sent to the resident) through `register_section`,
and the player of a call's recording through `register_recording`, so `dispatch` never imports them.
"""

from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from city.models import Department, Role, TimeLimit
from city.privacy import may_hear_recordings, phone_for

from . import display
from .labels import js_labels
from .models import Case, Light, PossibleDuplicate, Source, State, Urgency
from .models.cases import PUBLIC_SOURCES
from .models.photos import CasePhoto
from .services import available_actions
from .workflow import STAGE_OF_STATE, TRANSITIONS

# Sections other apps add: fn(case, user) -> {"title": str, "rows": [[cell, …]], "columns": [str]} | None
_SECTIONS: list[Callable] = []

# Who plays a case's recording (the door that kept it): fn(case) -> {"src": url, "note": str} | None
_RECORDINGS: list[Callable] = []

# Which stage each action ends: its event carries that stage's clock (due_at, on_time, elapsed).
_STAGE_ENDED_BY = {
    "register": "register",
    "send_verify": "register",
    "verify": "verify",
    "dispatch": "dispatch",
    "handle": "handle",
    "send_check": "send_check",
    "check": "check",
    "close": "close",
}


def register_section(fn: Callable) -> Callable:
    _SECTIONS.append(fn)
    return fn


def register_recording(fn: Callable) -> Callable:
    _RECORDINGS.append(fn)
    return fn


def recording(case: Case, user) -> dict | None:
    """The recording of a voice report for the roles that may hear it: where the app plays it
    (`src`, once the city holds the audio) or why not yet (`note`). Never the phone company's URL."""
    if not case.recording_url or not may_hear_recordings(user):
        return None
    for fn in _RECORDINGS:
        found = fn(case)
        if found:
            return found
    return {"src": "", "note": str(_("录音尚未取回"))}


def role_label(role: str) -> str:
    machine = {"system": _("系统"), "hotline": _("12319 热线"), "open311": _("Open311 接口")}
    if role in machine:
        return str(machine[role])
    try:
        return str(Role(role).label)
    except ValueError:
        return role


def reporter_kind(case: Case) -> str:
    if case.source in PUBLIC_SOURCES:
        return str(_("市民"))
    return str(_("监督员")) if case.source in (Source.INSPECTOR, Source.SELF_RESOLVED) else ""


def _person(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _limits(case: Case) -> dict:
    """The case's time limits by stage, read once for the whole file."""
    found = TimeLimit.objects.filter(category_id=case.category_id, urgency=case.urgency)
    return {limit.stage: limit for limit in found}


def _limit_text(limit) -> str:
    return f"{limit.amount} {limit.get_unit_display()}" if limit else ""


def timeline(case: Case, user, limits: dict | None = None) -> list[dict]:
    labels = js_labels()["actions"]
    limits = _limits(case) if limits is None else limits
    departments = dict(Department.objects.values_list("code", "name"))
    users = {}
    events = list(case.events.select_related("actor").order_by("id"))
    names = {e.data.get("inspector") for e in events if e.data.get("inspector")}
    if names:
        users = {u.username: _person(u) for u in get_user_model().objects.filter(username__in=names)}
    rows = []
    for event in events:
        data = event.data or {}
        to_whom = ""
        if event.action == "dispatch":
            to_whom = departments.get(data.get("department"), data.get("department") or "")
        elif data.get("inspector"):
            to_whom = users.get(data["inspector"], data["inspector"])
        elif event.action == "merge":
            to_whom = data.get("master", "")
        as_department = ""
        if event.actor_role == Role.DEPARTMENT_STAFF and data.get("department"):
            as_department = departments.get(data["department"], data["department"])
        stage = _STAGE_ENDED_BY.get(event.action)
        used = ""
        if stage and data.get("stage_elapsed_s") is not None:
            limit = limits.get(stage)
            used = _("用时 %(used)s / 时限 %(limit)s") % {
                "used": display.duration_text(data["stage_elapsed_s"], limit.unit if limit else "minutes"),
                "limit": _limit_text(limit),
            }
        rows.append(
            {
                "id": event.id,
                "at": display.local(event.created_at),
                "action": labels.get(event.action, event.action),
                "actor": _person(event.actor) or role_label(event.actor_role),
                "role": role_label(event.actor_role),
                "as_department": as_department,
                "to_whom": to_whom,
                "note": event.note,
                "state": str(State(event.to_state).label) if event.to_state in State.values else "",
                "stage_time": str(used),
                "on_time": data.get("on_time") if stage else None,
                "light": str(Light(data["light"]).label) if data.get("light") in Light.values else "",
            }
        )
    return rows


def photos_by_stage(case: Case) -> list[dict]:
    groups, photos = [], list(case.photos.all())  # one query, grouped here
    for stage, label in CasePhoto.Stage.choices:
        found = [p for p in photos if p.stage == stage]
        if found:
            groups.append({"stage": stage, "label": str(label), "photos": found})
    return groups


def case_file(case: Case, user) -> dict:
    """The whole case file as one dictionary for templates (all labels already in words)."""
    names = display.area_names(case)
    left = display.time_left(case)
    possible = PossibleDuplicate.objects.filter(case=case).select_related("candidate")
    sections = [s for s in (fn(case, user) for fn in _SECTIONS) if s]
    stage = STAGE_OF_STATE.get(case.state)
    limits = _limits(case)
    return {
        "case": case,
        "number": case.number,
        "category": f"{case.category.full_code} {case.category.display_name}",
        "state": str(State(case.state).label),
        "state_value": case.state,
        "urgency": str(Urgency(case.urgency).label),
        "source": str(Source(case.source).label),
        "reporter_kind": reporter_kind(case),
        "description": case.description,
        "place": display.place_label(case),
        "address": case.address,
        "street": names["street"],
        "community": names["community"],
        "cell": names["cell"],
        "lng": case.lng,
        "lat": case.lat,
        "reporter_name": case.reporter_name or _person(case.reporter),
        "reporter_phone": phone_for(user, case.reporter_phone),
        # The caller's voice is theirs like their number: heard by the roles that call back.
        "recording": recording(case, user),
        "needs_listening": case.needs_listening,
        "department": case.department.name if case.department_id else "",
        "light": str(Light(case.light).label) if case.light else "",
        "light_value": case.light,
        "time_left": left,
        "stage": str(TimeLimit.Stage(stage).label) if stage else "",
        "stage_limit": _limit_text(limits.get(stage)) if stage else "",
        "due_at": display.local(case.due_at),
        "reported_at": display.local(case.reported_at),
        "closed_at": display.local(case.closed_at),
        "master": case.duplicate_of.number if case.duplicate_of_id else "",
        "merged": list(case.duplicates.values_list("number", flat=True)),
        "possible_duplicates": [(d.candidate.number, round(d.distance_m)) for d in possible],
        "photos": photos_by_stage(case),
        "timeline": timeline(case, user, limits),
        "sections": sections,
        "actions": [(a, str(TRANSITIONS[a].label)) for a in available_actions(case, user)],
        "pending": _pending(case),
        "instruction": instruction(case),
        "supervision": _supervision(case),
        "urge_count": case.urge_count,
    }


def instruction(case: Case) -> dict | None:
    """领导批示: the latest instruction, who wrote it and when, and whether the department has
    acknowledged it (shown at the top of the case until it has)."""
    if not case.instruction:
        return None
    given = case.events.filter(action="instruct").select_related("actor").order_by("-id").first()
    acked = None
    if not case.instruction_pending:
        acked = case.events.filter(action="acknowledge").select_related("actor").order_by("-id").first()
    return {
        "text": case.instruction,
        "by": _person(given.actor) if given else "",
        "at": display.local(given.created_at) if given else "",
        "pending": case.instruction_pending,
        "acknowledged_by": _person(acked.actor) if acked else "",
        "acknowledged_at": display.local(acked.created_at) if acked else "",
    }


def _supervision(case: Case) -> str:
    if case.supervision_due_at is None:
        return ""
    text = _("督办单须在 %(t)s 前回复") % {"t": display.local(case.supervision_due_at)}
    return text + (_("（已逾期）") if case.supervision_overdue else "")


def unit_word(unit: str) -> str:
    """The stage unit as a word (the unit a postponement is asked in)."""
    return {"minutes": _("分钟"), "work_hours": _("工时"), "work_days": _("工作日")}.get(unit, _("工时"))


def _pending(case: Case) -> str:
    """A request awaiting a decision, as the decider reads it."""
    if not case.pending_request:
        return ""
    if case.pending_request == "postpone":
        return _("申请延期 %(h)s %(unit)s：%(r)s") % {
            "h": case.pending_hours,
            "unit": unit_word(case.stage_unit),
            "r": case.pending_reason,
        }
    return _("申请挂账：%(r)s") % {"r": case.pending_reason}
