"""The case lifecycle through the service: log, numbers, routing, duplicates, idempotency, rework."""

import re
from datetime import datetime, timedelta

import pytest
from django.db import transaction

from citymgmt.errors import Conflict, Forbidden, InvalidData, NotFound, WrongState
from dispatch import services
from dispatch.models import Case, CaseEvent, PossibleDuplicate, State
from dispatch.models.events import AppendOnlyError
from tests.conftest import LAT, LNG, SHANGHAI, T0, jpeg


def test_report_numbers_cell_and_first_event(city, make_case):
    case = make_case()
    assert re.fullmatch(r"E0102202611240001", case.number)
    assert make_case().number == "E0102202611240002"
    assert case.cell.code == "62040200100101"
    assert case.needs_verification and case.state == State.REPORTED
    assert case.due_at == T0 + timedelta(minutes=30)  # register stage: 30 natural minutes
    (event,) = CaseEvent.objects.filter(case=case)
    assert (event.kind, event.action, event.from_state, event.to_state) == ("case.reported", "report", "", "reported")


def test_component_numbers_use_c_and_inspector_reports_need_no_verification(city):
    case, created = services.report_case(
        actor=city.user("inspector1"), source="inspector", category="C0103", lng=LNG, lat=LAT, now=T0,
        photo_files=[jpeg()],
    )  # fmt: skip
    assert created and case.number.startswith("C010320261124")
    assert not case.needs_verification
    assert case.photos.get().next_attempt_at is not None  # its thumbnail is due: the worker makes it


def test_full_loop_with_timeline_in_order(city, make_case):
    case = make_case("closed")
    actions = list(CaseEvent.objects.filter(case=case).values_list("action", flat=True))
    assert actions == [
        "report",
        "send_verify",
        "verify",
        "register",
        "dispatch",
        "handle",
        "send_check",
        "check",
        "close",
    ]
    ids = list(CaseEvent.objects.filter(case=case).values_list("id", flat=True))
    assert ids == sorted(ids)
    assert case.closed_at is not None and case.light == ""


def test_public_report_needs_verification_or_a_note_to_register(city, make_case):
    case = make_case()
    with pytest.raises(InvalidData) as err:
        services.act(case.number, "register", city.user("supervisor"))
    assert "note" in err.value.fields
    case = services.act(case.number, "register", city.user("supervisor"), params={"note": "领导交办，直接立案"})
    assert case.state == State.REGISTERED


def test_wrong_state_names_the_current_state(city, make_case):
    case = make_case("closed")
    with pytest.raises(WrongState) as err:
        services.act(case.number, "dispatch", city.user("dispatcher"), params={"department": "huanwei"})
    assert err.value.context["state"] == "closed"
    assert "已结案" in err.value.message


def test_only_the_assigned_inspector_and_the_case_department_may_act(city, make_case):
    case = make_case("verifying")
    with pytest.raises(Forbidden):
        services.act(case.number, "verify", city.user("inspector2"), params={"result": "exists"})
    case = make_case("dispatched")
    with pytest.raises(Forbidden):
        services.act(case.number, "return", city.user("staff_shizheng"), params={"reason": "x"})


def test_missing_and_invalid_params(city, make_case):
    case = make_case("dispatched")
    with pytest.raises(InvalidData) as err:
        services.act(case.number, "handle", city.user("staff_huanwei"), params={"note": "done"})
    assert err.value.fields == {"photos": "required"}
    with pytest.raises(InvalidData):
        services.act(case.number, "request_postpone", city.user("staff_huanwei"), params={"hours": 0, "reason": "x"})
    with pytest.raises(NotFound):
        services.act("E0000000000000000", "cancel", city.user("supervisor"), params={"reason": "x"})
    with pytest.raises(NotFound):
        services.act(case.number, "fly", city.user("supervisor"))


def test_routing_suggests_and_auto_dispatch_dispatches_as_system(city):
    inspector = city.user("inspector1")
    case, _ = services.report_case(actor=inspector, source="inspector", category="C0103", lng=LNG, lat=LAT, now=T0)
    case = services.act(case.number, "register", city.user("supervisor"), now=T0)
    assert case.state == State.DISPATCHED and case.department.code == "shizheng"
    last = CaseEvent.objects.filter(case=case).order_by("-id").first()
    assert (last.action, last.actor, last.actor_role) == ("dispatch", None, "system")
    rubbish = services.act(
        services.report_case(actor=inspector, source="inspector", category="E0102", now=T0)[0].number,
        "register", city.user("supervisor"), now=T0,
    )  # fmt: skip
    assert rubbish.state == State.REGISTERED and rubbish.suggested_department.code == "huanwei"


def test_return_and_redispatch_elsewhere_is_recorded_as_wrong_dispatch(city, make_case):
    case = make_case("registered")
    services.act(case.number, "dispatch", city.user("dispatcher"), params={"department": "shizheng"})
    case = services.act(case.number, "return", city.user("staff_shizheng"), params={"reason": "不是井盖"})
    assert case.state == State.REGISTERED and case.return_count == 1
    services.act(case.number, "dispatch", city.user("dispatcher"), params={"department": "huanwei"})
    event = CaseEvent.objects.filter(case=case, action="dispatch").order_by("-id").first()
    assert event.data["department"] == "huanwei" and event.data["redispatched_from"] == "shizheng"


def test_every_event_keeps_the_clock_in_force_for_evaluation(city, make_case):
    """Evaluation reads "on time" from the log: each event records the due time of the stage it
    ended (and whether it was met) and the due time of the stage it started."""
    from datetime import datetime, timedelta

    from city import calendar

    case = make_case("dispatched")  # at T0, Tuesday 09:00; handle limit: 4 working hours
    dispatch = CaseEvent.objects.filter(case=case, action="dispatch").get()
    due = datetime.fromisoformat(dispatch.data["next_due_at"])
    assert due == calendar.add_working_time(T0, 4, "work_hours")
    assert dispatch.data["department"] == "huanwei"
    late = due + timedelta(minutes=1)
    services.act(
        case.number, "handle", city.user("staff_huanwei"), params={"note": "x"}, photo_files=[jpeg()], now=late
    )
    handle = CaseEvent.objects.get(case=case, action="handle")
    assert datetime.fromisoformat(handle.data["due_at"]) == due
    assert handle.data["on_time"] is False and handle.data["department"] == "huanwei"
    on_time = make_case("dispatched")
    services.act(
        on_time.number, "handle", city.user("staff_huanwei"), params={"note": "x"}, photo_files=[jpeg()], now=T0
    )
    assert CaseEvent.objects.get(case=on_time, action="handle").data["on_time"] is True


def test_failed_check_is_rework_to_the_same_department_with_a_new_clock(city, make_case):
    case = make_case("checking")
    later = T0 + timedelta(hours=1)
    case = services.act(case.number, "check", city.user("inspector1"), params={"result": "failed"}, now=later)
    assert case.state == State.DISPATCHED and case.rework_count == 1
    assert case.department.code == "huanwei"
    assert case.stage_started_at == later
    # 10:00 + 4 working hours, with lunch 12:00–14:30 → 16:30
    assert case.due_at == datetime(2026, 11, 24, 16, 30, tzinfo=SHANGHAI)


def test_self_resolved_is_filed_and_closed_when_the_supervisor_confirms(city):
    case, _ = services.report_case(
        actor=city.user("inspector1"), source="inspector", category="E0102", lng=LNG, lat=LAT,
        self_resolved=True, now=T0,
    )  # fmt: skip
    assert case.source == "self_resolved"
    case = services.act(case.number, "register", city.user("supervisor"), now=T0)
    assert case.state == State.CLOSED and case.closed_at == T0
    with pytest.raises(InvalidData):
        services.report_case(actor=city.user("calltaker"), source="call_taker", category="E0102", self_resolved=True)


def test_possible_duplicates_are_attached_never_merged(city, make_case):
    first = make_case()
    near = make_case(lng=LNG + 0.0002, lat=LAT)  # ~18 m east
    far = make_case(lng=LNG + 0.002, lat=LAT)  # ~180 m east
    other_category = make_case(category=city.categories["manhole"])
    assert [d.candidate for d in PossibleDuplicate.objects.filter(case=near)] == [first]
    assert not PossibleDuplicate.objects.filter(case=far).exists()
    assert not PossibleDuplicate.objects.filter(case=other_category).exists()
    old = make_case(now=T0 - timedelta(hours=100))
    assert old.state == State.REPORTED  # outside the 72 h window of later reports
    late = make_case(lng=LNG + 0.0001, now=T0 + timedelta(hours=48))
    assert {d.candidate for d in PossibleDuplicate.objects.filter(case=late)} == {first, near}
    assert near.state == State.REPORTED
    merged = services.act(near.number, "merge", city.user("calltaker"), params={"master": first.number})
    assert merged.state == State.DUPLICATE and merged.duplicate_of == first


def test_idempotent_report_returns_the_first_case(city):
    kwargs = dict(actor=city.user("inspector1"), source="inspector", category="E0102", lng=LNG, lat=LAT)
    first, created = services.report_case(client_key="k-1", fingerprint="aaa", **kwargs)
    again, created_again = services.report_case(client_key="k-1", fingerprint="aaa", **kwargs)
    assert created and not created_again and again.pk == first.pk
    assert Case.objects.count() == 1 and CaseEvent.objects.count() == 1
    with pytest.raises(Conflict):
        services.report_case(client_key="k-1", fingerprint="bbb", **kwargs)


def test_optimistic_version_check(city, make_case):
    case = make_case("registered")
    with pytest.raises(Conflict):
        services.act(case.number, "dispatch", city.user("dispatcher"), params={"department": "huanwei"},
                     expected_version=case.version - 1)  # fmt: skip
    services.act(case.number, "dispatch", city.user("dispatcher"), params={"department": "huanwei"},
                 expected_version=case.version)  # fmt: skip


def test_event_log_is_append_only(city, make_case):
    case = make_case()
    event = CaseEvent.objects.get(case=case)
    event.note = "rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        CaseEvent.objects.filter(case=case).update(note="x")
    with pytest.raises(AppendOnlyError):
        CaseEvent.objects.filter(case=case).delete()


def test_a_failure_after_the_event_rolls_back_everything_and_broadcasts_nothing(
    city, make_case, django_capture_on_commit_callbacks, monkeypatch
):
    case = make_case("registered")
    before_events = CaseEvent.objects.count()
    sent = []
    monkeypatch.setattr(services.broadcast, "_send", lambda message, groups: sent.append(message))
    original = services._write_event

    def write_then_fail(*args, **kwargs):
        original(*args, **kwargs)
        raise RuntimeError("disk full after the event was written")

    monkeypatch.setattr(services, "_write_event", write_then_fail)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                services.act(case.number, "dispatch", city.user("dispatcher"), params={"department": "huanwei"})
    case.refresh_from_db()
    assert case.state == State.REGISTERED and case.department is None
    assert CaseEvent.objects.count() == before_events
    assert callbacks == [] and sent == []


def test_broadcast_after_commit_goes_to_board_department_and_user_groups(
    city, make_case, django_capture_on_commit_callbacks, monkeypatch
):
    case = make_case("registered")
    sent = []
    monkeypatch.setattr(services.broadcast, "_send", lambda message, groups: sent.append((message, groups)))
    with django_capture_on_commit_callbacks(execute=True):
        services.act(case.number, "dispatch", city.user("dispatcher"), params={"department": "huanwei"})
    ((message, groups),) = sent
    dept = city.departments["huanwei"]
    inspector = city.user("inspector1")
    assert groups == {"board", f"dept.{dept.pk}", f"user.{inspector.pk}", f"user.{city.user('calltaker').pk}"}
    assert message["type"] == "event" and message["kind"] == "case.updated"
    assert message["case"]["number"] == case.number and message["case"]["state"] == "dispatched"
    assert "13812341234" not in str(message) and "王女士" not in str(message)


def test_when_a_master_closes_the_reporters_of_merged_cases_are_found_too(city, make_case):
    from dispatch.duplicates import reporters_to_tell

    master = make_case("dispatched")
    first = make_case(reporter_phone="13900000001")
    second = make_case(reporter_phone="13900000002")
    for dup in (first, second):
        services.act(dup.number, "merge", city.user("calltaker"), params={"master": master.number})
    unrelated = make_case(reporter_phone="13900000003")
    told = reporters_to_tell(master)
    assert [c.number for c in told] == [master.number, first.number, second.number]
    assert {c.reporter_phone for c in told} == {"13812341234", "13900000001", "13900000002"}
    assert unrelated not in told
