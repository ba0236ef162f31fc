"""Generated from the transition table itself: every (state, action, role) either succeeds as the
table says or is refused with the right error. No hand-picked subset."""

import pytest

from city.models import Role
from citymgmt.errors import Forbidden, WrongState
from dispatch import services
from dispatch.models import CaseEvent, State
from dispatch.workflow import ACTIONS, HOTLINE, OPEN311, SYSTEM, TRANSITIONS
from tests.conftest import T0, jpeg

ACTOR_FOR_ROLE = {
    Role.INSPECTOR: "inspector1",  # the inspector the test cases are assigned to
    Role.CALL_TAKER: "calltaker",
    Role.SUPERVISOR: "supervisor",
    Role.DISPATCHER: "dispatcher",
    Role.DEPARTMENT_STAFF: "staff_huanwei",  # staff of the department the test cases go to
    Role.LEADER: "leader",
    Role.ADMIN: "admin",
}
MACHINE = [SYSTEM, HOTLINE, OPEN311]
ALL_ROLES = list(ACTOR_FOR_ROLE) + MACHINE

VALID_PARAMS = {
    "send_verify": {"inspector": "inspector1"},
    "verify": {"result": "exists", "note": "属实"},
    "classify": {"category": "C0103", "lng": 104.1705, "lat": 36.5451, "address": "人民路12号"},
    "register": {"note": "立案"},
    "reject": {"reason": "不属实"},
    "merge": {},  # master added per test
    "dispatch": {"department": "huanwei"},
    "return": {"reason": "不属于本部门"},
    "request_postpone": {"hours": 4, "reason": "材料未到"},
    "decide_postpone": {"approve": True},
    "request_suspend": {"reason": "施工"},
    "decide_suspend": {"approve": True},
    "resume": {},
    "handle": {"note": "已处置"},
    "send_check": {"inspector": "inspector1"},
    "check": {"result": "passed"},
    "close": {"note": "结案"},
    "urge": {"note": "请尽快处置"},
    "supervise": {"reply_hours": 4, "note": "督办"},
    "reply_supervision": {"note": "已安排人员"},
    "instruct": {"note": "请高度重视"},
    "acknowledge": {"note": "收到"},
    "add_note": {"note": "市民再次来电"},
    "cancel": {"reason": "作废"},
}


def attempt(city, case, action, role, params):
    actor = None if role in MACHINE else city.user(ACTOR_FOR_ROLE[role])
    files = [jpeg()] if TRANSITIONS[action].needs_photos else []
    return services.act(case.number, action, actor, role=role, params=params, photo_files=files, now=T0)


def prepare(city, make_case, state, action):
    case = make_case(state)
    params = dict(VALID_PARAMS[action])
    if action == "merge":
        params["master"] = make_case("registered").number
    if state == State.DISPATCHED and action == "decide_postpone":
        services.act(
            case.number, "request_postpone", city.user("staff_huanwei"), params=VALID_PARAMS["request_postpone"]
        )
    if state == State.DISPATCHED and action == "decide_suspend":
        services.act(case.number, "request_suspend", city.user("staff_huanwei"), params=VALID_PARAMS["request_suspend"])
    if state == State.DISPATCHED and action == "reply_supervision":
        services.act(case.number, "supervise", city.user("supervisor"), params=VALID_PARAMS["supervise"])
    if action == "acknowledge":
        services.act(case.number, "instruct", city.user("leader"), params=VALID_PARAMS["instruct"])
    case.refresh_from_db()
    return case, params


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("state", State.values)
def test_every_role_on_every_state(city, make_case, state, action):
    transition = TRANSITIONS[action]
    refusal_case, params = prepare(city, make_case, state, action)
    for role in ALL_ROLES:
        allowed = state in transition.sources and role in transition.roles
        if allowed:
            case, params = prepare(city, make_case, state, action)
            expected = transition.next_state(case, params)
            before = CaseEvent.objects.filter(case=case).count()
            after = attempt(city, case, action, role, params)
            assert after.version > case.version
            # The action's own event; an automatic follow-up (handle → send_check) may come after it.
            event = CaseEvent.objects.filter(case=case, action=action).order_by("-id").first()
            assert (event.from_state, event.to_state, event.actor_role) == (state, expected, role)
            assert CaseEvent.objects.filter(case=case).count() > before
            continue
        expected_error = Forbidden if role not in transition.roles else WrongState
        before_events = CaseEvent.objects.filter(case=refusal_case).count()
        with pytest.raises(expected_error):
            attempt(city, refusal_case, action, role, params)
        refusal_case.refresh_from_db()
        assert refusal_case.state == state, (state, action, role)
        assert CaseEvent.objects.filter(case=refusal_case).count() == before_events


def test_every_state_is_reachable_and_every_action_is_in_the_table():
    targets = {t.to for t in TRANSITIONS.values() if isinstance(t.to, str)}
    # The computed targets: register (registered / closed), check (checked / closed / dispatched),
    # decide_suspend.
    targets |= {State.REGISTERED, State.CLOSED, State.CHECKED, State.DISPATCHED, State.SUSPENDED}
    assert targets == set(State.values)
    assert set(ACTIONS) == set(VALID_PARAMS)
