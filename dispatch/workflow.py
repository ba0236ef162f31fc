"""The workflow: every case state change (the README's state table) as data, in one table.

`dispatch.services.act` is the only code that applies it. Each transition names the states it
leaves from, where it goes, which roles may take it, which extra rule the actor must meet, the
fields the request carries (name, kind, required, choices, limits) and whether photos are
required, and which stage clock runs afterwards.

The same declarations are the service's checks (`check_params`) and what the pages build their
forms from (`dispatch.labels.client_table`): a field added here reaches the service, the handset
API and every form.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from city.models import Role

from .models.cases import OPEN_STATES, State
from .models.settings import WorkflowSettings
from .photos import MAX_PHOTOS

# Actors that are not people: the system itself (automatic steps), the hotline gateway, Open311.
SYSTEM = "system"
HOTLINE = "hotline"
OPEN311 = "open311"
MACHINE_ROLES = frozenset({SYSTEM, HOTLINE, OPEN311})

# Which time limit (TimeLimit.Stage) runs while a case is in a state; other states have no clock.
STAGE_OF_STATE = {
    State.REPORTED: "register",
    State.VERIFYING: "verify",
    State.REGISTERED: "dispatch",
    State.DISPATCHED: "handle",
    State.CHECKING: "check",
    State.HANDLED: "send_check",  # waits to be sent to check: never without a clock
    State.CHECKED: "close",  # 待结案: the shift leader's short clock
}

ASSIGNED_INSPECTOR = "assigned_inspector"  # only the inspector the case was sent to
CASE_DEPARTMENT = "case_department"  # only staff of the department that holds the case


# What kind of value a field holds; the pages pick an input for each kind.
FIELD_KINDS = frozenset(
    {
        "text",
        "choice",  # one of `choices`
        "number",  # a whole number between `min` and `max`
        "case_number",  # another case's number (merge's master)
        "user",  # a username of someone holding `role`
        "department",  # a department code
        "category",  # a category code (C0101 / E0102)
        "longitude",
        "latitude",
        "datetime",  # ISO 8601; a time without offset is in settings.TIME_ZONE
        "bool",  # `choices` names true and false
    }
)
PHOTOS_REQUIRED, PHOTOS_OPTIONAL, PHOTOS_NONE = "required", "optional", "none"
MAX_POSTPONE_HOURS = 720
MAX_SUPERVISION_HOURS = 240
# States in which a department holds the case (its staff may acknowledge a leader's instruction).
HELD_BY_DEPARTMENT = frozenset(
    {State.DISPATCHED, State.SUSPENDED, State.HANDLED, State.CHECKING, State.CHECKED, State.CLOSED}
)


@dataclass(frozen=True)
class Field:
    """One field an action's request carries."""

    name: str
    kind: str
    label: str  # 中文, translated lazily
    required: bool = False
    choices: tuple = ()  # ((value, label), …) for "choice" and "bool"
    min: float | None = None  # number, longitude, latitude: the smallest value
    max: float | None = None  # number, longitude, latitude: the largest value; text: the longest length
    default: object = None  # what a form shows first
    role: str | None = None  # "user": the role the person named must hold
    unit: str | None = None  # "number": "stage" when counted in the case's stage unit (forms show its word)

    def __post_init__(self):
        if self.kind not in FIELD_KINDS:
            raise ValueError(f"unknown field kind {self.kind!r} for {self.name!r}")

    @property
    def values(self) -> tuple:
        return tuple(value for value, _label in self.choices)


NOTE = Field("note", "text", _("意见"), max=2000)
REASON = Field("reason", "text", _("理由"), required=True, max=500)
REQUIRED_NOTE = replace(NOTE, required=True)
APPROVE = Field("approve", "bool", _("审批"), required=True, choices=((True, _("同意")), (False, _("不同意"))))
INSPECTOR = Field("inspector", "user", _("监督员"), required=True, role=Role.INSPECTOR)


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset  # states it may start from
    roles: frozenset
    to: str | Callable  # the next state, or a function (case, params) -> state
    actor_rule: str | None = None
    fields: tuple[Field, ...] = ()  # what the request carries, in the order forms show it
    photos: str = PHOTOS_NONE  # required / optional / none
    max_photos: int = MAX_PHOTOS
    label: str = ""  # 中文 name of the action, translated lazily

    def __post_init__(self):
        if self.photos not in (PHOTOS_REQUIRED, PHOTOS_OPTIONAL, PHOTOS_NONE):
            raise ValueError(f"photos must be required, optional or none, not {self.photos!r}")

    def next_state(self, case, params) -> str:
        return self.to(case, params) if callable(self.to) else self.to

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def requires(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)

    @property
    def needs_photos(self) -> bool:
        return self.photos == PHOTOS_REQUIRED


def _after_register(case, params):
    return State.CLOSED if case.self_resolved else State.REGISTERED


def _after_check(case, params):
    if params.get("result") != "passed":
        return State.DISPATCHED
    return State.CLOSED if WorkflowSettings.current().close_on_passed_check else State.CHECKED


def _same_state(case, params):
    return case.state


def _after_decide_suspend(case, params):
    return State.SUSPENDED if params.get("approve") else State.DISPATCHED


R = Role
TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        Transition(
            "report",
            frozenset({None}),
            frozenset({R.INSPECTOR, R.CALL_TAKER, HOTLINE, OPEN311}),
            State.REPORTED,
            photos=PHOTOS_OPTIONAL,
            label=_("上报"),
        ),
        Transition(
            "send_verify",
            frozenset({State.REPORTED}),
            frozenset({R.CALL_TAKER, R.SUPERVISOR}),
            State.VERIFYING,
            fields=(INSPECTOR, NOTE),
            label=_("派核实"),
        ),
        Transition(
            "verify",
            frozenset({State.VERIFYING}),
            frozenset({R.INSPECTOR}),
            State.REPORTED,
            actor_rule=ASSIGNED_INSPECTOR,
            fields=(
                Field(
                    "result",
                    "choice",
                    _("结果"),
                    required=True,
                    choices=(("exists", _("属实")), ("not_found", _("不属实")), ("unable", _("无法核实"))),
                ),
                NOTE,
            ),
            photos=PHOTOS_OPTIONAL,
            label=_("核实"),
        ),
        Transition(
            "classify",
            frozenset({State.REPORTED, State.VERIFYING, State.REGISTERED}),
            frozenset({R.CALL_TAKER, R.SUPERVISOR}),
            _same_state,
            fields=(
                Field("category", "category", _("类别"), required=True),
                Field("address", "text", _("地址"), max=200),
                Field("lng", "longitude", _("经度"), min=-180, max=180),
                Field("lat", "latitude", _("纬度"), min=-90, max=90),
                NOTE,
            ),
            label=_("分类定位"),
        ),
        Transition(
            "register",
            frozenset({State.REPORTED}),
            frozenset({R.SUPERVISOR}),
            _after_register,
            fields=(NOTE,),  # required for a public report not verified on site (services._apply_register)
            label=_("立案"),
        ),
        Transition(
            "reject",
            frozenset({State.REPORTED}),
            frozenset({R.CALL_TAKER, R.SUPERVISOR}),
            State.REJECTED,
            fields=(REASON,),
            label=_("不予立案"),
        ),
        Transition(
            "merge",
            frozenset({State.REPORTED, State.REGISTERED}),
            frozenset({R.CALL_TAKER, R.SUPERVISOR}),
            State.DUPLICATE,
            fields=(Field("master", "case_number", _("主案卷号"), required=True), NOTE),
            label=_("合并"),
        ),
        Transition(
            "dispatch",
            frozenset({State.REGISTERED}),
            frozenset({R.DISPATCHER, SYSTEM}),
            State.DISPATCHED,
            fields=(Field("department", "department", _("部门"), required=True), NOTE),
            label=_("派遣"),
        ),
        Transition(
            "return",
            frozenset({State.DISPATCHED}),
            frozenset({R.DEPARTMENT_STAFF}),
            State.REGISTERED,
            actor_rule=CASE_DEPARTMENT,
            fields=(REASON,),
            label=_("回退"),
        ),
        Transition(
            "request_postpone",
            frozenset({State.DISPATCHED}),
            frozenset({R.DEPARTMENT_STAFF}),
            State.DISPATCHED,
            actor_rule=CASE_DEPARTMENT,
            fields=(
                # In the stage's own unit (minutes, working hours or working days: the case's
                # `stage_unit`); the name stays "hours" for the handset API's clients.
                Field(
                    "hours",
                    "number",
                    _("延期时长（按本阶段时限单位）"),
                    required=True,
                    min=1,
                    max=MAX_POSTPONE_HOURS,
                    default=4,
                    unit="stage",
                ),
                REASON,
            ),
            label=_("申请延期"),
        ),
        Transition(
            "decide_postpone",
            frozenset({State.DISPATCHED}),
            frozenset({R.DISPATCHER, R.SUPERVISOR}),
            State.DISPATCHED,
            fields=(APPROVE, NOTE),
            label=_("延期审批"),
        ),
        Transition(
            "request_suspend",
            frozenset({State.DISPATCHED}),
            frozenset({R.DEPARTMENT_STAFF}),
            State.DISPATCHED,
            actor_rule=CASE_DEPARTMENT,
            fields=(REASON,),
            label=_("申请挂账"),
        ),
        Transition(
            "decide_suspend",
            frozenset({State.DISPATCHED}),
            frozenset({R.SUPERVISOR}),
            _after_decide_suspend,
            fields=(APPROVE, NOTE),
            label=_("挂账审批"),
        ),
        Transition(
            "resume",
            frozenset({State.SUSPENDED}),
            frozenset({R.DISPATCHER, R.SUPERVISOR}),
            State.DISPATCHED,
            fields=(NOTE,),
            label=_("恢复处置"),
        ),
        Transition(
            "handle",
            frozenset({State.DISPATCHED}),
            frozenset({R.DEPARTMENT_STAFF}),
            State.HANDLED,
            actor_rule=CASE_DEPARTMENT,
            fields=(REQUIRED_NOTE,),
            photos=PHOTOS_REQUIRED,
            label=_("处置反馈"),
        ),
        Transition(
            "send_check",
            frozenset({State.HANDLED}),
            frozenset({R.CALL_TAKER, R.SUPERVISOR, SYSTEM}),
            State.CHECKING,
            fields=(INSPECTOR, NOTE),
            label=_("派核查"),
        ),
        Transition(
            "check",
            frozenset({State.CHECKING}),
            frozenset({R.INSPECTOR}),
            _after_check,
            actor_rule=ASSIGNED_INSPECTOR,
            fields=(
                Field(
                    "result",
                    "choice",
                    _("结果"),
                    required=True,
                    choices=(("passed", _("通过")), ("failed", _("不通过"))),
                ),
                NOTE,
            ),
            photos=PHOTOS_OPTIONAL,
            label=_("核查"),
        ),
        Transition(
            "close",
            frozenset({State.CHECKED}),
            frozenset({R.SUPERVISOR}),
            State.CLOSED,
            fields=(NOTE,),
            label=_("结案"),
        ),
        Transition(
            "urge",
            frozenset({State.DISPATCHED, State.SUSPENDED}),
            frozenset({R.SUPERVISOR, R.DISPATCHER, SYSTEM}),
            _same_state,
            fields=(REQUIRED_NOTE,),
            label=_("催办"),
        ),
        Transition(
            "supervise",
            frozenset({State.DISPATCHED}),
            frozenset({R.SUPERVISOR, SYSTEM}),
            State.DISPATCHED,
            fields=(
                Field(
                    "reply_hours",
                    "number",
                    _("回复时限 (工作时)"),
                    required=True,
                    min=1,
                    max=MAX_SUPERVISION_HOURS,
                    default=4,
                ),
                REQUIRED_NOTE,
            ),
            label=_("督办"),
        ),
        Transition(
            "reply_supervision",
            frozenset({State.DISPATCHED}),
            frozenset({R.DEPARTMENT_STAFF}),
            State.DISPATCHED,
            actor_rule=CASE_DEPARTMENT,
            fields=(REQUIRED_NOTE,),
            photos=PHOTOS_OPTIONAL,
            label=_("督办回复"),
        ),
        Transition(
            "instruct",
            frozenset(State.values),
            frozenset({R.LEADER}),
            _same_state,
            fields=(Field("note", "text", _("批示内容"), required=True, max=2000),),
            label=_("领导批示"),
        ),
        Transition(
            "acknowledge",
            frozenset(HELD_BY_DEPARTMENT),
            frozenset({R.DEPARTMENT_STAFF}),
            _same_state,
            actor_rule=CASE_DEPARTMENT,
            fields=(NOTE,),
            label=_("签收批示"),
        ),
        Transition(
            "add_note",
            frozenset(OPEN_STATES),
            frozenset({R.CALL_TAKER, R.SUPERVISOR, R.DISPATCHER}),
            _same_state,
            fields=(REQUIRED_NOTE,),
            label=_("补充情况"),  # a repeat call about the same problem: a note, not a new case
        ),
        Transition(
            "cancel",
            frozenset(OPEN_STATES),
            frozenset({R.SUPERVISOR}),
            State.CANCELLED,
            fields=(REASON,),
            label=_("作废"),
        ),
    ]
}

ACTIONS = tuple(a for a in TRANSITIONS if a != "report")


def allowed_actions(state: str, roles) -> list[str]:
    """The actions these roles may take on a case in this state (for buttons on pages)."""
    return [a for a in ACTIONS if state in TRANSITIONS[a].sources and TRANSITIONS[a].roles & set(roles)]


# --------------------------------------------------------------------------- checking a request


def _empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _as_bool(value) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(value)


def _as_number(field: Field, value):
    number = int(value) if field.kind == "number" else float(value)
    if number != number or isinstance(value, bool):  # NaN, or a boolean passed for a number
        raise ValueError(value)
    return number


def _as_datetime(value):
    moment = value if hasattr(value, "tzinfo") else parse_datetime(str(value))
    if moment is None:
        raise ValueError(value)
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def check_params(transition: Transition, params: dict, photo_count: int = 0) -> dict:
    """What is wrong with a request for this transition, as {field: problem} (empty: nothing).
    Values it checks are cleaned in place: numbers become numbers, booleans booleans, times aware
    datetimes. Parameters the table does not name are left alone (the API's `crs`, for one)."""
    problems = {}
    for f in transition.fields:
        value = params.get(f.name)
        if _empty(value):
            if f.required:
                problems[f.name] = "required"
            continue
        try:
            if f.kind == "choice" and value not in f.values:
                problems[f.name] = "invalid"
            elif f.kind == "bool":
                params[f.name] = _as_bool(value)
            elif f.kind in ("number", "longitude", "latitude"):
                params[f.name] = number = _as_number(f, value)
                if (f.min is not None and number < f.min) or (f.max is not None and number > f.max):
                    problems[f.name] = "out_of_range"
            elif f.kind == "datetime":
                params[f.name] = _as_datetime(value)
            elif f.kind == "text" and f.max is not None and len(str(value)) > f.max:
                problems[f.name] = "too_long"
        except (TypeError, ValueError, OverflowError):
            problems[f.name] = "invalid"
    if transition.photos == PHOTOS_REQUIRED and not photo_count:
        problems["photos"] = "required"
    elif transition.photos == PHOTOS_NONE and photo_count:
        problems["photos"] = "not_accepted"
    elif photo_count > transition.max_photos:
        problems["photos"] = "too_many"
    return problems
