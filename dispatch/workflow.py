"""The workflow: every case state change (the README's state table) as data, in one table.

`dispatch.services.act` is the only code that applies it. Each transition names the states it
leaves from, where it goes, which roles may take it, which extra rule the actor must meet, what
the request must carry, and which stage clock runs afterwards.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from city.models import Role

from .models.cases import OPEN_STATES, State

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
}

ASSIGNED_INSPECTOR = "assigned_inspector"  # only the inspector the case was sent to
CASE_DEPARTMENT = "case_department"  # only staff of the department that holds the case


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset  # states it may start from
    roles: frozenset
    to: str | Callable  # the next state, or a function (case, params) -> state
    actor_rule: str | None = None
    requires: tuple = ()  # params that must be present and non-empty
    needs_photos: bool = False
    label: str = ""  # 中文 name of the action, translated lazily
    choices: dict = field(default_factory=dict)  # param -> allowed values

    def next_state(self, case, params) -> str:
        return self.to(case, params) if callable(self.to) else self.to


def _after_register(case, params):
    return State.CLOSED if case.self_resolved else State.REGISTERED


def _after_check(case, params):
    return State.CLOSED if params.get("result") == "passed" else State.DISPATCHED


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
            label=_("上报"),
        ),
        Transition(
            "send_verify",
            frozenset({State.REPORTED}),
            frozenset({R.CALL_TAKER, R.SUPERVISOR}),
            State.VERIFYING,
            requires=("inspector",),
            label=_("派核实"),
        ),
        Transition(
            "verify",
            frozenset({State.VERIFYING}),
            frozenset({R.INSPECTOR}),
            State.REPORTED,
            actor_rule=ASSIGNED_INSPECTOR,
            requires=("result",),
            choices={"result": ("exists", "not_found", "unable")},
            label=_("核实"),
        ),
        Transition(
            "classify",
            frozenset({State.REPORTED, State.VERIFYING, State.REGISTERED}),
            frozenset({R.CALL_TAKER, R.SUPERVISOR}),
            _same_state,
            requires=("category",),
            label=_("分类定位"),
        ),
        Transition(
            "register", frozenset({State.REPORTED}), frozenset({R.SUPERVISOR}), _after_register, label=_("立案")
        ),
        Transition(
            "reject",
            frozenset({State.REPORTED}),
            frozenset({R.CALL_TAKER, R.SUPERVISOR}),
            State.REJECTED,
            requires=("reason",),
            label=_("不予立案"),
        ),
        Transition(
            "merge",
            frozenset({State.REPORTED, State.REGISTERED}),
            frozenset({R.CALL_TAKER, R.SUPERVISOR}),
            State.DUPLICATE,
            requires=("master",),
            label=_("合并"),
        ),
        Transition(
            "dispatch",
            frozenset({State.REGISTERED}),
            frozenset({R.DISPATCHER, SYSTEM}),
            State.DISPATCHED,
            requires=("department",),
            label=_("派遣"),
        ),
        Transition(
            "return",
            frozenset({State.DISPATCHED}),
            frozenset({R.DEPARTMENT_STAFF}),
            State.REGISTERED,
            actor_rule=CASE_DEPARTMENT,
            requires=("reason",),
            label=_("回退"),
        ),
        Transition(
            "request_postpone",
            frozenset({State.DISPATCHED}),
            frozenset({R.DEPARTMENT_STAFF}),
            State.DISPATCHED,
            actor_rule=CASE_DEPARTMENT,
            requires=("hours", "reason"),
            label=_("申请延期"),
        ),
        Transition(
            "decide_postpone",
            frozenset({State.DISPATCHED}),
            frozenset({R.DISPATCHER, R.SUPERVISOR}),
            State.DISPATCHED,
            requires=("approve",),
            label=_("延期审批"),
        ),
        Transition(
            "request_suspend",
            frozenset({State.DISPATCHED}),
            frozenset({R.DEPARTMENT_STAFF}),
            State.DISPATCHED,
            actor_rule=CASE_DEPARTMENT,
            requires=("reason",),
            label=_("申请挂账"),
        ),
        Transition(
            "decide_suspend",
            frozenset({State.DISPATCHED}),
            frozenset({R.SUPERVISOR}),
            _after_decide_suspend,
            requires=("approve",),
            label=_("挂账审批"),
        ),
        Transition(
            "resume",
            frozenset({State.SUSPENDED}),
            frozenset({R.DISPATCHER, R.SUPERVISOR}),
            State.DISPATCHED,
            label=_("恢复处置"),
        ),
        Transition(
            "handle",
            frozenset({State.DISPATCHED}),
            frozenset({R.DEPARTMENT_STAFF}),
            State.HANDLED,
            actor_rule=CASE_DEPARTMENT,
            requires=("note",),
            needs_photos=True,
            label=_("处置反馈"),
        ),
        Transition(
            "send_check",
            frozenset({State.HANDLED}),
            frozenset({R.CALL_TAKER, R.SUPERVISOR, SYSTEM}),
            State.CHECKING,
            requires=("inspector",),
            label=_("派核查"),
        ),
        Transition(
            "check",
            frozenset({State.CHECKING}),
            frozenset({R.INSPECTOR}),
            _after_check,
            actor_rule=ASSIGNED_INSPECTOR,
            requires=("result",),
            choices={"result": ("passed", "failed")},
            label=_("核查"),
        ),
        Transition(
            "cancel",
            frozenset(OPEN_STATES),
            frozenset({R.SUPERVISOR}),
            State.CANCELLED,
            requires=("reason",),
            label=_("作废"),
        ),
    ]
}

ACTIONS = tuple(a for a in TRANSITIONS if a != "report")


def allowed_actions(state: str, roles) -> list[str]:
    """The actions these roles may take on a case in this state (for buttons on pages)."""
    return [a for a in ACTIONS if state in TRANSITIONS[a].sources and TRANSITIONS[a].roles & set(roles)]
