"""What a dispatcher decides by (issue 14, points 4 and 6): the lists' figures (department, time
left in the stage's unit, place names, reporter kind, today's throughput), a returned case's
suggestion, a pending request as it would be approved, and the intake form's idempotency key."""

import re
from datetime import timedelta

import time_machine
from django.test import Client

from city.models import RoutingRule
from dispatch import board, display, services
from dispatch.broadcast import case_summary
from dispatch.models import Case
from tests.conftest import LAT, LNG, T0


def client_for(city, username):
    client = Client()
    client.force_login(city.user(username))
    return client


# ------------------------------------------------------------------ a returned case's suggestion


def _two_routes(city):
    """Rubbish: huanwei for this street (the longer prefix wins), shizheng for the whole city."""
    rubbish = city.categories["rubbish"]
    RoutingRule.objects.filter(category=rubbish).delete()
    RoutingRule.objects.create(category=rubbish, area_code="620402001", department=city.departments["huanwei"])
    RoutingRule.objects.create(category=rubbish, area_code="", department=city.departments["shizheng"])


def test_a_returned_case_is_never_suggested_to_the_department_that_returned_it(city, make_case):
    _two_routes(city)
    case = make_case("dispatched")
    assert case.department.code == "huanwei"
    services.act(case.number, "return", city.user("staff_huanwei"), params={"reason": "不归我们管"})
    case.refresh_from_db()
    assert case.state == "registered" and case.suggested_department.code == "shizheng"  # the rules' next choice

    # shizheng returns it too: every routed department (and the category's default) has refused it.
    services.act(case.number, "dispatch", city.user("dispatcher"), params={"department": "shizheng"})
    services.act(case.number, "return", city.user("staff_shizheng"), params={"reason": "也不归我们"})
    case.refresh_from_db()
    assert case.suggested_department is None
    assert case_summary(case)["suggested_department"] is None  # the list offers no one-click dispatch


def test_the_panel_shows_the_return_reason_and_the_suggestion(city, make_case):
    _two_routes(city)
    case = make_case("dispatched")
    services.act(case.number, "return", city.user("staff_huanwei"), params={"reason": "不归我们管"})
    facts = client_for(city, "dispatcher").get(f"/console/cases/{case.number}/decision").json()
    assert [(r["department"], r["department_name"], r["reason"]) for r in facts["returns"]] == [
        ("huanwei", "环卫", "不归我们管")
    ]
    assert facts["suggested_department"] == "shizheng" and facts["suggested_department_name"] == "市政"
    assert client_for(city, "staff_shizheng").get(f"/console/cases/{case.number}/decision").status_code == 404


# ------------------------------------------------------------------ a request before it is decided


def test_a_postponement_shows_the_hours_in_the_stages_unit_and_the_due_time_if_approved(city, make_case):
    case = make_case("dispatched")  # rubbish: 4 working hours
    services.act(case.number, "request_postpone", city.user("staff_huanwei"), params={"hours": 3, "reason": "缺车"})
    pending = client_for(city, "dispatcher").get(f"/console/cases/{case.number}/decision").json()["pending"]
    assert pending["kind"] == "postpone" and pending["hours"] == 3 and pending["asked"] == "3 工时"
    assert pending["reason"] == "缺车"
    case.refresh_from_db()
    assert pending["due_now"] == display.local(case.due_at)
    services.act(case.number, "decide_postpone", city.user("dispatcher"), params={"approve": True})
    case.refresh_from_db()
    assert pending["due_if_approved"] == display.local(case.due_at) != pending["due_now"]


def test_a_postponement_in_natural_time_reads_in_minutes_as_approval_applies_it(city, make_case):
    case = make_case("reported", category=city.categories["manhole"])  # 120 minutes, natural time
    for action, username, params in [
        ("send_verify", "calltaker", {"inspector": "inspector1"}),
        ("verify", "inspector1", {"result": "exists"}),
        ("register", "supervisor", {}),  # manholes go out at once (auto dispatch)
    ]:
        services.act(case.number, action, city.user(username), params=params)
    services.act(case.number, "request_postpone", city.user("staff_shizheng"), params={"hours": 2, "reason": "等配件"})
    case.refresh_from_db()
    pending = display.pending_request(case)
    # The stage's own unit is minutes here: what the decider reads is what approval applies.
    assert pending["asked"] == "2 分钟"
    assert pending["due_if_approved"] == display.local(case.due_at + timedelta(minutes=2))
    services.act(case.number, "decide_postpone", city.user("dispatcher"), params={"approve": True})
    case.refresh_from_db()
    assert pending["due_if_approved"] == display.local(case.due_at)


def test_a_postponement_in_working_days_reads_in_days(city, make_case):
    from city.models import TimeLimit

    TimeLimit.objects.filter(category=city.categories["rubbish"], stage="handle").update(amount=1, unit="work_days")
    from city import reference

    reference.invalidate()  # the time limits are kept in memory; a queryset update sends no signal
    case = make_case("dispatched")
    services.act(case.number, "request_postpone", city.user("staff_huanwei"), params={"hours": 2, "reason": "等材料"})
    case.refresh_from_db()
    pending = display.pending_request(case)
    assert pending["asked"] == "2 工作日"
    services.act(case.number, "decide_postpone", city.user("dispatcher"), params={"approve": True})
    case.refresh_from_db()
    assert pending["due_if_approved"] == display.local(case.due_at)
    facts = client_for(city, "staff_huanwei").get(f"/console/cases/{case.number}/decision").json()
    assert facts["stage_unit"] == "work_days"  # the request form shows its unit word


def test_a_suspension_request_says_the_clock_stops_and_what_is_left(city, make_case):
    case = make_case("dispatched")
    services.act(case.number, "request_suspend", city.user("staff_huanwei"), params={"reason": "施工"})
    case.refresh_from_db()
    with time_machine.travel(T0, tick=False):
        pending = display.pending_request(case)
    assert pending["kind"] == "suspend" and "挂账" in pending["asked"] and "工时" in pending["due_if_approved"]


# ------------------------------------------------------------------ the lists' figures


def test_summaries_carry_department_time_left_place_names_and_reporter_kind(city, make_case):
    case = make_case("dispatched")
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        summary = case_summary(Case.objects.get(pk=case.pk))
    assert summary["department"] == "huanwei"
    assert summary["time_left"]["text"] == "剩 3.5 工时" and not summary["time_left"]["overdue"]
    # No address given: the point's described place (names, the code only after them).
    assert "人民路街道 金鱼社区" in summary["place"] and summary["cell"] == "62040200100101"
    assert summary["street"] == "人民路街道" and summary["community"] == "金鱼社区"
    assert summary["reporter_kind"] == "public"


def test_the_clock_gives_the_listed_cases_time_left_now(city, make_case):
    case = make_case("dispatched")
    client = client_for(city, "dispatcher")
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        first = client.get("/console/dispatch/clock").json()["times"][case.number]
    with time_machine.travel(T0 + timedelta(hours=8), tick=False):  # 17:00: past 4 working hours from 09:00
        later = client.get("/console/dispatch/clock").json()["times"][case.number]
    assert first["text"] == "剩 3 工时" and not first["overdue"]
    assert later["overdue"] and later["text"].startswith("超期")
    assert client_for(city, "staff_huanwei").get("/console/dispatch/clock").status_code == 403


def test_today_counts_the_consoles_throughput_and_the_persons_own(city, make_case):
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        make_case("dispatched", now=T0)
        make_case("registered", now=T0)
        make_case("reported", now=T0 - timedelta(days=1))  # yesterday: not today
        today = client_for(city, "dispatcher").get("/console/dispatch/counts").json()["today"]
        assert today == {"received": 2, "registered": 2, "dispatched": 1, "closed": 0, "mine": 1}
        staff = board.today(city.user("staff_huanwei"), "department")
    assert staff["dispatched"] == 1 and staff["received"] == 1  # its own department's cases only


def test_every_console_has_the_filters_a_dispatcher_decides_by(city):
    for username, console in [("supervisor", "supervision"), ("dispatcher", "dispatch")]:
        html = client_for(city, username).get(f"/console/{console}/").content.decode()
        for name in ("category", "street", "department", "light"):
            assert f'<select name="{name}">' in html, (console, name)
    html = client_for(city, "staff_huanwei").get("/console/department/").content.decode()
    assert '<select name="light">' in html and '<select name="category">' in html


# ------------------------------------------------------------------ the intake form's key


INTAKE = {"phone": "13812345678", "category": "E0102", "lng": LNG, "lat": LAT, "description": "x", "urgency": "normal"}


def _key(html: str) -> str:
    return re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', html).group(1)


def test_the_intake_key_is_made_when_the_form_is_opened(city):
    client = client_for(city, "calltaker")
    first, second = (_key(client.get("/console/intake/").content.decode()) for _ in range(2))
    assert first != second


def test_sending_the_intake_form_twice_files_one_case_and_shows_its_number(city):
    client = client_for(city, "calltaker")
    key = _key(client.get("/console/intake/").content.decode())
    one = client.post("/console/intake/", {**INTAKE, "idempotency_key": key}).content.decode()
    two = client.post("/console/intake/", {**INTAKE, "idempotency_key": key}).content.decode()
    case = Case.objects.get()
    assert case.events.filter(action="report").count() == 1
    for html in (one, two):
        assert re.search(r'id="created-number">([^<]+)<', html).group(1) == case.number
    # After filing, the fresh form carries a new key: the next call is a new case.
    assert _key(two) != key
    client.post("/console/intake/", {**INTAKE, "idempotency_key": _key(two)})
    assert Case.objects.count() == 2


def test_a_reused_intake_key_with_other_content_files_nothing(city):
    client = client_for(city, "calltaker")
    key = _key(client.get("/console/intake/").content.decode())
    client.post("/console/intake/", {**INTAKE, "idempotency_key": key})
    r = client.post("/console/intake/", {**INTAKE, "description": "另一件事", "idempotency_key": key})
    assert r.status_code == 200 and Case.objects.count() == 1
    assert "Idempotency-Key" in r.content.decode()
    assert client.post("/console/intake/", {**INTAKE, "idempotency_key": "../x"}).status_code == 200
    assert Case.objects.count() == 1


def test_a_suspended_case_reads_as_paused_not_as_blank(city, make_case):
    case = make_case("suspended")
    assert case.due_at is None and case.paused_remaining_s is not None
    assert case_summary(case)["time_left"]["text"] == "挂账暂停"
