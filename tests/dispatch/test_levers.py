"""催办 / 督办 / 领导批示 / 待结案 with a fixed clock: the automatic steps happen once, on time."""

from datetime import datetime

import pytest

from citymgmt.errors import Conflict
from dispatch import services
from dispatch.broadcast import case_flags
from dispatch.management.commands.run_worker import scan_once
from dispatch.models import Case, CaseEvent, State, WorkflowSettings
from tests.conftest import SHANGHAI, T0


def at(*args):
    return datetime(*args, tzinfo=SHANGHAI)


def events(case, action):
    return list(CaseEvent.objects.filter(case=case, action=action).order_by("id"))


def test_a_red_case_is_urged_once_then_escalated_once(city, make_case):
    case = make_case("dispatched", now=T0)  # Tue 09:00, 4 working hours: due 15:30
    assert case.due_at == at(2026, 11, 24, 15, 30)
    scan_once(at(2026, 11, 24, 15, 29))
    assert events(case, "urge") == []
    scan_once(at(2026, 11, 24, 15, 31))
    scan_once(at(2026, 11, 24, 15, 32))
    scan_once(at(2026, 11, 24, 17, 0))
    (urge,) = events(case, "urge")
    assert (urge.actor, urge.actor_role, urge.data["automatic"]) == (None, "system", True)
    case.refresh_from_db()
    assert case.light == "red" and case.urge_count == 1
    # Red 4 working hours later: 15:30 → 18:00 (2.5 h), Wed 08:30 → 10:00 (1.5 h).
    assert case.escalate_at == at(2026, 11, 25, 10, 0)
    scan_once(at(2026, 11, 25, 9, 59))
    assert events(case, "supervise") == []
    scan_once(at(2026, 11, 25, 10, 0))
    scan_once(at(2026, 11, 25, 10, 5))
    (order,) = events(case, "supervise")
    assert order.actor_role == "system" and order.data["reply_hours"] == 4
    case.refresh_from_db()
    assert case.supervision_due_at == at(2026, 11, 25, 16, 30)  # 10:00–12:00, 14:30–16:30
    assert "supervised" in case_flags(case) and "urged" in case_flags(case)
    assert len(events(case, "urge")) == 1


def test_an_unanswered_supervision_order_turns_red_on_its_own_clock(city, make_case):
    case = make_case("dispatched", now=T0)
    services.act(
        case.number, "supervise", city.user("supervisor"), params={"reply_hours": 2, "note": "限时回复"}, now=T0
    )
    case.refresh_from_db()
    assert case.supervision_due_at == at(2026, 11, 24, 11, 0)
    scan_once(at(2026, 11, 24, 10, 59))
    assert events(case, "supervision_overdue") == []
    scan_once(at(2026, 11, 24, 11, 1))
    scan_once(at(2026, 11, 24, 11, 2))
    (overdue,) = events(case, "supervision_overdue")
    assert overdue.kind == "case.warning" and overdue.actor_role == "system"
    case.refresh_from_db()
    assert case.supervision_overdue and "supervision_overdue" in case_flags(case)
    # The late reply is recorded as late and clears the order.
    case = services.act(
        case.number,
        "reply_supervision",
        city.user("staff_huanwei"),
        params={"note": "已处理"},
        now=at(2026, 11, 24, 12),
    )
    (reply,) = events(case, "reply_supervision")
    assert reply.data["reply_on_time"] is False
    assert case.supervision_due_at is None and not case.supervision_overdue


def test_a_reply_in_time_is_on_time_and_needs_an_order(city, make_case):
    case = make_case("dispatched", now=T0)
    staff = city.user("staff_huanwei")
    with pytest.raises(Conflict):
        services.act(case.number, "reply_supervision", staff, params={"note": "x"}, now=T0)
    services.act(case.number, "supervise", city.user("supervisor"), params={"reply_hours": 2, "note": "督办"}, now=T0)
    services.act(case.number, "reply_supervision", staff, params={"note": "已派人"}, now=at(2026, 11, 24, 10))
    assert events(case, "reply_supervision")[0].data["reply_on_time"] is True
    scan_once(at(2026, 11, 24, 11, 30))
    assert events(case, "supervision_overdue") == []


def test_escalation_follows_the_city_settings(city, make_case):
    WorkflowSettings.objects.create(auto_urge_on_red=False, escalate_after_hours=1, supervision_reply_hours=8)
    case = make_case("dispatched", now=T0)
    scan_once(at(2026, 11, 24, 15, 31))
    assert events(case, "urge") == []
    case.refresh_from_db()
    assert case.escalate_at == at(2026, 11, 24, 16, 30)
    scan_once(at(2026, 11, 24, 16, 30))
    (order,) = events(case, "supervise")
    assert order.data["reply_hours"] == 8


def test_a_new_handling_stage_may_be_urged_again(city, make_case):
    case = make_case("dispatched", now=T0)
    scan_once(at(2026, 11, 24, 15, 31))
    staff = city.user("staff_huanwei")
    services.act(case.number, "return", staff, params={"reason": "不属于本部门"}, now=at(2026, 11, 24, 15, 40))
    case = services.act(
        case.number, "dispatch", city.user("dispatcher"), params={"department": "huanwei"}, now=at(2026, 11, 24, 15, 45)
    )
    assert case.urge_count == 0 and case.auto_urged_at is None
    scan_once(at(2026, 11, 25, 15, 0))
    assert len(events(case, "urge")) == 2


def test_people_urge_and_the_count_is_kept(city, make_case):
    case = make_case("dispatched", now=T0)
    services.act(case.number, "urge", city.user("dispatcher"), params={"note": "请加快"}, now=T0)
    case = services.act(case.number, "urge", city.user("supervisor"), params={"note": "再催"}, now=T0)
    assert case.urge_count == 2 and case.state == "dispatched"


def test_a_passed_check_waits_for_the_shift_leader(city, make_case):
    case = make_case("checked")
    assert case.state == State.CHECKED and case.due_at is not None and case.light == "green"
    case = services.act(case.number, "close", city.user("supervisor"), params={"note": "结案"})
    assert case.state == State.CLOSED and case.closed_at is not None and case.due_at is None


def test_close_on_passed_check_keeps_automatic_closing(city, make_case):
    WorkflowSettings.objects.create(close_on_passed_check=True)
    case = make_case("checking")
    case = services.act(case.number, "check", city.user("inspector1"), params={"result": "passed"})
    assert case.state == State.CLOSED


def test_a_handled_case_has_a_clock(city, make_case):
    case = make_case("handled", now=T0)  # nobody is responsible for the cell: waits for send_check
    assert case.due_at == at(2026, 11, 24, 9, 30) and case.light == "green"  # fallback: 30 minutes
    scan_once(at(2026, 11, 24, 9, 31))
    case.refresh_from_db()
    assert case.light == "red"


def test_instruction_shows_until_the_department_acknowledges(city, make_case):
    case = make_case("dispatched")
    case = services.act(case.number, "instruct", city.user("leader"), params={"note": "请务必今日解决"})
    assert case.instruction_pending and "instructed" in case_flags(case)
    with pytest.raises(Conflict):
        services.act(case.number, "acknowledge", city.user("staff_huanwei"), params={"note": "收到"})
        services.act(case.number, "acknowledge", city.user("staff_huanwei"), params={"note": "again"})
    case.refresh_from_db()
    assert not case.instruction_pending and case.instruction == "请务必今日解决"
    assert len(events(case, "acknowledge")) == 1


def test_postponements_are_capped(city, make_case):
    WorkflowSettings.objects.create(max_postpones=1)
    case = make_case("dispatched", now=T0)
    staff, dispatcher = city.user("staff_huanwei"), city.user("dispatcher")
    services.act(case.number, "request_postpone", staff, params={"hours": 2, "reason": "等材料"}, now=T0)
    services.act(case.number, "decide_postpone", dispatcher, params={"approve": True}, now=T0)
    with pytest.raises(Conflict) as refused:
        services.act(case.number, "request_postpone", staff, params={"hours": 2, "reason": "再等"}, now=T0)
    assert refused.value.fields == {"hours": "too_many_postpones"}


def test_the_yellow_share_is_a_setting(city, make_case):
    WorkflowSettings.objects.create(yellow_share=50)
    case = make_case("reported", now=at(2026, 10, 3, 23, 50))  # 30 natural minutes
    assert case.yellow_at == at(2026, 10, 4, 0, 5)


def test_fallback_limits_are_a_setting(city, make_case):
    WorkflowSettings.objects.create(fallback_limits={"send_check": [2, "minutes"]})
    case = make_case("handled", now=T0)
    assert case.due_at == at(2026, 11, 24, 9, 2)


def test_a_late_evidence_event_carries_the_clock_forward(city, make_case):
    case = make_case("dispatched", now=T0)
    event = services.record_evidence(case, role="hotline", note="彩信照片", now=at(2026, 11, 26, 9))
    assert event.data["next_due_at"] == services.utc_iso(Case.objects.get(pk=case.pk).due_at)
    assert event.data["department"] == "huanwei"


def _client(city, username):
    from django.test import Client

    client = Client()
    client.force_login(city.user(username))
    return client


def test_the_instruction_is_at_the_top_of_the_case_page_until_acknowledged(city, make_case):
    case = make_case("dispatched")
    services.act(case.number, "instruct", city.user("leader"), params={"note": "请务必今日解决"})
    html = _client(city, "staff_huanwei").get(f"/cases/{case.number}/").content.decode()
    assert html.index('id="instruction"') < html.index('class="casefile"')
    assert "请务必今日解决" in html and "待承办部门签收" in html
    services.act(case.number, "acknowledge", city.user("staff_huanwei"), params={})
    html = _client(city, "supervisor").get(f"/cases/{case.number}/").content.decode()
    assert "请务必今日解决" in html and "待承办部门签收" not in html and "已于" in html


def test_the_department_portal_lists_instructed_and_supervised_cases(city, make_case):
    case = make_case("dispatched")
    services.act(case.number, "instruct", city.user("leader"), params={"note": "重视"})
    services.act(case.number, "supervise", city.user("supervisor"), params={"reply_hours": 4, "note": "督办"})
    snap = _client(city, "staff_huanwei").get("/console/department/snapshot").json()
    (row,) = [c for c in snap["cases"] if c["number"] == case.number]
    assert set(row["flags"]) >= {"instructed", "supervised"} and row["supervision_due_at"]


def test_the_case_query_filters_instructed_and_urged_cases(city, make_case):
    instructed, urged, plain = make_case("dispatched"), make_case("dispatched"), make_case("dispatched")
    services.act(instructed.number, "instruct", city.user("leader"), params={"note": "重视"})
    services.act(urged.number, "urge", city.user("dispatcher"), params={"note": "快"})
    client = _client(city, "supervisor")

    def found(**query):
        html = client.get("/cases/", query).content.decode()
        return {c.number for c in (instructed, urged, plain) if f"/cases/{c.number}/" in html}

    assert found(instructed="pending") == {instructed.number}
    assert found(instructed="any") == {instructed.number}
    services.act(instructed.number, "acknowledge", city.user("staff_huanwei"), params={})
    assert found(instructed="pending") == set()
    assert found(instructed="any") == {instructed.number}
    # 催办 as a choice in words: any / urged (a 督办 counts) / never urged.
    assert found(urged="urged") == {urged.number}
    assert found(urged="not_urged") == {instructed.number, plain.number}
    assert found() == {instructed.number, urged.number, plain.number}
    services.act(plain.number, "supervise", city.user("supervisor"), params={"reply_hours": 4, "note": "督办"})
    assert found(urged="urged") == {urged.number, plain.number}
    html = client.get("/cases/", {"urged": "urged"}).content.decode()
    assert "催办：全部" in html and '<option value="urged" selected>被催办过</option>' in html
    r = client.get("/api/v1/cases", {"urged": "yes"}, HTTP_ACCEPT="application/json")
    assert r.status_code == 400 and "urged" in r.json()["error"]["fields"]
    api = client.get("/api/v1/cases", {"urged": "urged"}, HTTP_ACCEPT="application/json").json()["results"]
    assert {c["number"] for c in api} == {urged.number, plain.number}


def test_an_automatic_escalation_is_texted_to_the_configured_number(city, make_case):
    from hotline.models import OutboundMessage

    WorkflowSettings.objects.create(leader_sms_number="13900001111", escalate_after_hours=1)
    case = make_case("dispatched", now=T0)
    scan_once(at(2026, 11, 24, 15, 31))  # urged: nobody is texted
    assert not OutboundMessage.objects.filter(purpose="escalated").exists()
    scan_once(at(2026, 11, 24, 16, 30))
    (sms,) = OutboundMessage.objects.filter(purpose="escalated")
    assert sms.to == "13900001111" and case.number in sms.body
    # People's supervision orders are not texted.
    other = make_case("dispatched", now=T0)
    services.act(other.number, "supervise", city.user("supervisor"), params={"reply_hours": 2, "note": "督办"}, now=T0)
    assert OutboundMessage.objects.filter(purpose="escalated").count() == 1


def test_tasks_name_the_new_steps(city, make_case):
    from dispatch.worklist import tasks_for

    checked = make_case("checked")
    assert ("close", checked.number) in [(t, c.number) for t, c in tasks_for(city.user("supervisor"))]
    case = make_case("dispatched")
    services.act(case.number, "supervise", city.user("supervisor"), params={"reply_hours": 4, "note": "督办"})
    staff = city.user("staff_huanwei")
    assert ("reply_supervision", case.number) in [(t, c.number) for t, c in tasks_for(staff)]
    services.act(case.number, "instruct", city.user("leader"), params={"note": "重视"})
    assert ("acknowledge", case.number) in [(t, c.number) for t, c in tasks_for(staff)]


def test_postponement_is_in_the_stages_own_unit(city, make_case):
    from city.models import TimeLimit

    staff, dispatcher = city.user("staff_huanwei"), city.user("dispatcher")
    case = make_case("dispatched", now=T0)  # 4 working hours: due 15:30
    services.act(case.number, "request_postpone", staff, params={"hours": 2, "reason": "等材料"}, now=T0)
    case = services.act(case.number, "decide_postpone", dispatcher, params={"approve": True}, now=T0)
    assert case.due_at == at(2026, 11, 24, 17, 30)  # 2 working hours
    TimeLimit.objects.filter(category=case.category, stage="handle").update(amount=1, unit="work_days")
    from city import reference

    reference.invalidate()  # a queryset update sends no signal (the importer invalidates itself)
    days = make_case("dispatched", now=T0)  # 1 working day: Wed 09:00
    assert days.due_at == at(2026, 11, 25, 9, 0)
    services.act(days.number, "request_postpone", staff, params={"hours": 2, "reason": "等材料"}, now=T0)
    days = services.act(days.number, "decide_postpone", dispatcher, params={"approve": True}, now=T0)
    assert days.due_at == at(2026, 11, 27, 9, 0)  # 2 working days later
    TimeLimit.objects.filter(category=case.category, stage="handle").update(amount=120, unit="minutes")
    reference.invalidate()
    minutes = make_case("dispatched", now=T0)
    services.act(minutes.number, "request_postpone", staff, params={"hours": 30, "reason": "x"}, now=T0)
    minutes = services.act(minutes.number, "decide_postpone", dispatcher, params={"approve": True}, now=T0)
    assert minutes.due_at == at(2026, 11, 24, 11, 30)  # 120 + 30 natural minutes


def test_intake_shows_the_callers_earlier_cases_and_a_read_back_line(city, make_case):
    from datetime import timedelta

    import time_machine

    from dispatch.models import CaseEvent

    with time_machine.travel(T0, tick=False):
        recent = make_case("dispatched", now=T0, reporter_phone="13812345678")
        make_case("reported", now=T0 - timedelta(days=120), reporter_phone="13812345678")  # too old
        client = _client(city, "calltaker")
        rows = client.get("/console/intake/earlier", {"phone": "138 1234 5678"}).json()["cases"]
        assert [(r["number"], r["state"], r["open"]) for r in rows] == [(recent.number, "处置中", True)]
        assert client.get("/console/intake/earlier", {"phone": "138"}).json()["cases"] == []
        assert _client(city, "dispatcher").get("/console/intake/earlier", {"phone": "13812345678"}).status_code == 403
        # The repeat call becomes a note on the open case: same state, its clock carried forward.
        case = services.act(recent.number, "add_note", city.user("calltaker"), params={"note": "又来电"})
        assert case.state == "dispatched" and case.due_at == recent.due_at
        assert CaseEvent.objects.get(case=case, action="add_note").data["next_due_at"]
        r = client.post(
            "/console/intake/",
            {"phone": "13900001111", "name": "张", "category": "E0102", "address": "人民路口",
             "lng": 104.1705, "lat": 36.5451, "description": "垃圾", "urgency": "normal"},
        )  # fmt: skip
    html = r.content.decode()
    assert 'id="read-back"' in html and "人民路口" in html and "4 工作时" in html
