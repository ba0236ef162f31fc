"""Stage clocks in working time: National Day 2026, a make-up Saturday, suspension, postponement,
and warning lights that change exactly once."""

from datetime import datetime, timedelta

from dispatch import services
from dispatch.management.commands.run_worker import scan_once
from dispatch.models import CaseEvent
from tests.conftest import SHANGHAI, T0


def at(*args):
    return datetime(*args, tzinfo=SHANGHAI)


def dispatched_at(make_case, when):
    return make_case("dispatched", now=when)


def test_handling_clock_skips_the_national_day_holiday(city, make_case):
    case = dispatched_at(make_case, at(2026, 9, 30, 16, 0))  # Wed; 4 working hours
    assert case.due_at == at(2026, 10, 8, 10, 30)  # 2 h on 9-30, then Oct 1–7 off, 2 h on Thu 10-08


def test_make_up_saturday_is_a_working_day(city, make_case):
    case = dispatched_at(make_case, at(2026, 10, 9, 16, 0))  # Fri
    assert case.due_at == at(2026, 10, 10, 10, 30)  # Sat 2026-10-10 is worked (调休)


def test_natural_minutes_ignore_the_calendar(city, make_case):
    case = make_case("reported", now=at(2026, 10, 3, 23, 50))
    assert case.due_at == at(2026, 10, 4, 0, 20)
    assert case.yellow_at == at(2026, 10, 4, 0, 14)  # 80 % of 30 min


def test_suspended_time_does_not_count(city, make_case):
    case = dispatched_at(make_case, T0)  # Tue 09:00, due 15:30
    assert case.due_at == at(2026, 11, 24, 15, 30)
    staff, supervisor = city.user("staff_huanwei"), city.user("supervisor")
    services.act(case.number, "request_suspend", staff, params={"reason": "冬季施工"}, now=at(2026, 11, 24, 9, 30))
    case = services.act(case.number, "decide_suspend", supervisor, params={"approve": True}, now=at(2026, 11, 24, 10))
    assert case.state == "suspended" and case.due_at is None and case.light == ""
    case = services.act(case.number, "resume", city.user("dispatcher"), now=at(2026, 11, 25, 9, 0))
    # 1 h used before the suspension; 3 h left from Wed 09:00.
    assert case.due_at == at(2026, 11, 25, 12, 0)
    assert case.yellow_at == at(2026, 11, 25, 11, 12)
    assert case.light == "green"


def test_denied_suspension_keeps_the_clock(city, make_case):
    case = dispatched_at(make_case, T0)
    services.act(case.number, "request_suspend", city.user("staff_huanwei"), params={"reason": "x"})
    case = services.act(case.number, "decide_suspend", city.user("supervisor"), params={"approve": False})
    assert case.state == "dispatched" and case.due_at == at(2026, 11, 24, 15, 30) and case.pending_request == ""


def test_approved_postponement_extends_the_due_time(city, make_case):
    case = dispatched_at(make_case, T0)
    staff = city.user("staff_huanwei")
    services.act(case.number, "request_postpone", staff, params={"hours": 4, "reason": "等材料"}, now=T0)
    case = services.act(
        case.number, "decide_postpone", city.user("dispatcher"), params={"approve": True}, now=at(2026, 11, 24, 10)
    )
    assert case.due_at == at(2026, 11, 25, 10, 0)  # 15:30 + 4 working hours
    assert case.postpone_count == 1 and case.pending_request == ""


def test_each_light_change_is_one_event(city, make_case):
    case = dispatched_at(make_case, T0)  # limit 4 h: yellow once 3.2 h are used → 14:42
    assert case.yellow_at == at(2026, 11, 24, 14, 42)

    def warnings():
        return list(CaseEvent.objects.filter(case=case, kind="case.warning").values_list("data", flat=True))

    assert scan_once(at(2026, 11, 24, 14, 41)) == 0
    assert scan_once(at(2026, 11, 24, 14, 42)) == 1
    assert scan_once(at(2026, 11, 24, 14, 50)) == 0
    assert scan_once(at(2026, 11, 24, 15, 30)) == 2  # the red light, and the system's one 催办
    assert scan_once(at(2026, 11, 24, 17, 0)) == 0
    assert warnings() == [{"from_light": "green", "light": "yellow"}, {"from_light": "yellow", "light": "red"}]
    case.refresh_from_db()
    assert case.light == "red"


def test_a_case_overdue_at_once_goes_straight_to_red(city, make_case):
    case = dispatched_at(make_case, T0)
    # The red light, then the system's 催办 and, red for more than 4 working hours, its 督办.
    assert scan_once(T0 + timedelta(days=2)) == 3
    assert [e.data["light"] for e in CaseEvent.objects.filter(case=case, kind="case.warning")] == ["red"]
