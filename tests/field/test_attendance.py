"""Attendance 考勤 against the schedule, with a fixed clock: on time, late, early leave, absent,
approved leave; the inspector's own shifts; clocking in and out through the API."""

from datetime import datetime, timedelta

import pytest
import time_machine

from field import attendance
from field.models import ClockEvent, LeaveRequest, Shift
from tests.conftest import LAT, LNG, SHANGHAI, T0

DAY = T0.date()  # Tuesday 2026-11-24: the city works 08:30–12:00 and 14:30–18:00
NEXT_DAY = T0 + timedelta(days=1)


def at(hh, mm, day=DAY):
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=SHANGHAI)


def clock(user, action, when):
    return attendance.clock(user, action, LNG, LAT, now=when)


@pytest.fixture
def inspector(city):
    return city.user("inspector1")


def judge(user, now=NEXT_DAY):
    return attendance.day_attendance(user, DAY, now=now)


def test_on_time(inspector):
    clock(inspector, "clock_in", at(8, 28))
    clock(inspector, "clock_out", at(18, 2))
    a = judge(inspector)
    assert a.status == "normal"
    assert (a.late_minutes, a.early_minutes, a.absent) == (0, 0, False)
    assert a.scheduled_minutes == 420  # 3.5 h + 3.5 h
    assert a.on_duty_minutes == 574
    assert a.on_duty_scheduled_minutes == 420


def test_a_few_minutes_late_is_within_grace(inspector):
    clock(inspector, "clock_in", at(8, 34))
    clock(inspector, "clock_out", at(18, 0))
    assert judge(inspector).status == "normal"


def test_late(inspector):
    clock(inspector, "clock_in", at(8, 50))
    clock(inspector, "clock_out", at(18, 0))
    a = judge(inspector)
    assert a.status == "late"
    assert a.late_minutes == 20


def test_early_leave(inspector):
    clock(inspector, "clock_in", at(8, 30))
    clock(inspector, "clock_out", at(17, 30))
    a = judge(inspector)
    assert a.status == "early"
    assert a.early_minutes == 30
    assert a.on_duty_scheduled_minutes == 390


def test_late_and_early(inspector):
    clock(inspector, "clock_in", at(9, 0))
    clock(inspector, "clock_out", at(17, 0))
    assert judge(inspector).status == "late_early"


def test_a_lunch_clock_out_then_back_is_not_early(inspector):
    clock(inspector, "clock_in", at(8, 30))
    clock(inspector, "clock_out", at(12, 0))
    clock(inspector, "clock_in", at(14, 30))
    clock(inspector, "clock_out", at(18, 0))
    a = judge(inspector)
    assert a.status == "normal"
    assert a.on_duty_minutes == 420


def test_absent_once_the_day_is_over(inspector):
    assert judge(inspector, now=at(10, 0)).status == "pending"  # not over yet: not absent
    assert judge(inspector).status == "absent"


def test_clocking_in_after_the_schedule_ended_is_absent(inspector):
    clock(inspector, "clock_in", at(18, 30))
    assert judge(inspector).status == "absent"


def test_no_clock_out_counts_until_the_end_of_the_schedule(inspector):
    clock(inspector, "clock_in", at(8, 30))
    a = judge(inspector)
    assert a.missing_clock_out
    assert a.on_duty_minutes == 570
    assert judge(inspector, now=at(10, 0)).on_duty_minutes == 90  # never past now


def test_approved_leave_for_the_day(city, inspector):
    LeaveRequest.objects.create(
        user=inspector, start=at(0, 0), end=at(23, 59), reason="病假", status=LeaveRequest.Status.APPROVED,
        decided_by=city.user("supervisor"),
    )  # fmt: skip
    a = judge(inspector)
    assert a.status == "leave"
    assert not a.absent
    assert a.scheduled_minutes == 0


def test_leave_not_yet_approved_excuses_nothing(inspector):
    LeaveRequest.objects.create(user=inspector, start=at(0, 0), end=at(23, 59), reason="事假")
    assert judge(inspector).status == "absent"


def test_morning_leave_moves_the_start(city, inspector):
    LeaveRequest.objects.create(
        user=inspector, start=at(8, 30), end=at(12, 0), reason="就医", status=LeaveRequest.Status.APPROVED
    )
    clock(inspector, "clock_in", at(14, 28))
    clock(inspector, "clock_out", at(18, 0))
    a = judge(inspector)
    assert a.status == "normal"
    assert a.scheduled_minutes == 210


def test_own_shifts_replace_the_calendar(inspector):
    saturday = DAY + timedelta(days=4)
    Shift.objects.create(
        user=inspector, weekday=5, start=datetime.min.time().replace(hour=9), end=datetime.min.time().replace(hour=17)
    )
    a = attendance.day_attendance(inspector, saturday, now=at(23, 0, saturday))
    assert a.status == "absent"  # due on Saturday, never came
    assert a.scheduled_minutes == 480
    assert attendance.day_attendance(inspector, DAY, now=NEXT_DAY).status == "rest"  # no Tuesday shift


def test_judge_day_is_a_plain_function():
    periods = [(at(8, 30), at(12, 0)), (at(14, 30), at(18, 0))]
    clocks = [("clock_in", at(8, 40)), ("clock_out", at(17, 0))]
    a = attendance.judge_day(DAY, periods, [], clocks, now=NEXT_DAY)
    assert (a.late_minutes, a.early_minutes) == (10, 60)


# --------------------------------------------------------------------------- the API


@pytest.fixture
def frozen():
    with time_machine.travel(T0, tick=False):
        yield


def test_clock_in_and_out_through_the_api(api, city, frozen):
    client = api("inspector1")
    assert client.get("/api/v1/attendance").json() == {"on_duty": False, "last": None}
    r = client.post("/api/v1/attendance", {"action": "clock_in", "lng": LNG, "lat": LAT}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["on_duty"] is True
    assert r.json()["last"]["cell_code"] == "62040200100101"
    again = client.post("/api/v1/attendance", {"action": "clock_in", "lng": LNG, "lat": LAT}, format="json")
    assert again.status_code == 400
    assert again.json()["error"]["fields"] == {"action": "already_on_duty"}
    r = client.post("/api/v1/attendance", {"action": "clock_out", "lng": LNG, "lat": LAT}, format="json")
    assert r.status_code == 201
    assert r.json()["on_duty"] is False
    again = client.post("/api/v1/attendance", {"action": "clock_out", "lng": LNG, "lat": LAT}, format="json")
    assert again.status_code == 400
    assert again.json()["error"]["fields"] == {"action": "not_on_duty"}
    assert ClockEvent.objects.filter(user=city.user("inspector1")).count() == 2


@pytest.mark.parametrize(
    "body",
    [
        {"action": "clock_on", "lng": LNG, "lat": LAT},
        {"action": "clock_in", "lng": 200, "lat": LAT},
        {"action": "clock_in", "lat": LAT},
        {"action": "clock_in", "lng": True, "lat": LAT},
    ],
)
def test_bad_clock_requests_are_400_and_change_nothing(api, frozen, body):
    r = api("inspector1").post("/api/v1/attendance", body, format="json")
    assert r.status_code == 400
    assert ClockEvent.objects.count() == 0


@pytest.mark.parametrize("username", ["supervisor", "calltaker", "leader"])
def test_only_inspectors_clock(api, frozen, username):
    r = api(username).post("/api/v1/attendance", {"action": "clock_in", "lng": LNG, "lat": LAT}, format="json")
    assert r.status_code == 403
    assert ClockEvent.objects.count() == 0


def test_supervisor_approves_leave_in_the_admin(client, city, inspector):
    leave = LeaveRequest.objects.create(user=inspector, start=at(8, 0), end=at(18, 0), reason="事假")
    supervisor = city.user("supervisor")
    supervisor.is_staff = True
    supervisor.is_superuser = False
    supervisor.save()
    from django.contrib.auth.models import Permission

    supervisor.user_permissions.add(
        *Permission.objects.filter(codename__in=["change_leaverequest", "view_leaverequest"])
    )
    client.force_login(supervisor)
    r = client.post("/admin/field/leaverequest/", {"action": "approve", "_selected_action": [leave.pk]}, follow=True)
    assert r.status_code == 200
    leave.refresh_from_db()
    assert leave.status == "approved"
    assert leave.decided_by == supervisor
    assert judge(inspector).status == "leave"
