"""Evaluation figures from the event log, checked against figures worked out by hand."""

from datetime import datetime, time, timedelta

import pytest

from dispatch import services
from evaluation.indicators import Period, area_table, department_table, inspector_table, staff_table
from tests.conftest import SHANGHAI, T0, jpeg

DAY = Period(
    datetime.combine(T0.date(), time.min, SHANGHAI), datetime.combine(T0.date() + timedelta(days=1), time.min, SHANGHAI)
)
H = timedelta(hours=1)


@pytest.fixture
def story(city, make_case):
    """On Tuesday 2026-11-24 (handle limit for rubbish: 4 working hours from 09:00 → 15:30):
    A handled on time and closed; B handled late, failed its check (rework) at 15:00 and is being
    redone (new due time tomorrow); C never handled (overdue at the end of the day); D sent to
    shizheng by mistake, returned, re-dispatched to huanwei, not handled (overdue)."""
    u = city.user
    cases = {name: make_case("registered", now=T0) for name in "ABCD"}

    def act(name, action, who, at, photo=False, **params):
        services.act(cases[name].number, action, u(who), params=params, photo_files=[jpeg()] if photo else [], now=at)

    for name in "ABC":
        act(name, "dispatch", "dispatcher", T0, department="huanwei")
    act("D", "dispatch", "dispatcher", T0, department="shizheng")
    act("D", "return", "staff_shizheng", T0 + H, reason="不是我们的")
    act("D", "dispatch", "dispatcher", T0 + H, department="huanwei")
    act("A", "handle", "staff_huanwei", T0 + H, photo=True, note="已清理")  # on time; send_check automatic
    act("A", "check", "inspector1", T0 + 2 * H, result="passed")
    act("A", "close", "supervisor", T0 + 2 * H)  # 结案 by the shift leader
    act("B", "handle", "staff_huanwei", T0 + 7 * H, photo=True, note="晚了")  # 16:00 > 15:30: late
    act("B", "check", "inspector1", T0 + 8 * H, result="failed")  # 17:00: rework, new clock
    return cases


def test_department_figures(story):
    table = {r["code"]: r for r in department_table(DAY)}
    h = table["huanwei"]
    assert (h["dispatched"], h["handled"], h["handled_on_time"], h["overdue_handled"]) == (4, 2, 1, 1)
    assert (h["overdue_unhandled"], h["to_handle"], h["rework"], h["closed"]) == (2, 4, 1, 1)
    assert (h["handling_rate"], h["on_time_handling_rate"], h["rework_rate"]) == (50.0, 25.0, 50.0)
    assert (h["cohort"], h["closure_rate"], h["on_time_closure_rate"]) == (4, 25.0, 25.0)
    # volume 4 → 100; (100×10 + 25×30 + 25×30 + (100−50)×30) / 100 = 40.0 → grade D
    assert (h["volume_score"], h["score"], h["grade"]) == (100, 40.0, "D")
    s = table["shizheng"]
    assert (s["dispatched"], s["returned"], s["handled"], s["overdue_unhandled"], s["to_handle"]) == (1, 1, 0, 0, 0)
    assert s["on_time_handling_rate"] is None and s["score"] is None and s["grade"] == "—"
    assert s["closure_rate"] == 0.0


def test_a_past_period_does_not_change_when_cases_move_on(story, city):
    before = department_table(DAY)
    next_day = T0 + timedelta(days=1)
    services.act(
        story["C"].number,
        "handle",
        city.user("staff_huanwei"),
        params={"note": "x"},
        photo_files=[jpeg()],
        now=next_day,
    )
    services.act(
        story["B"].number,
        "handle",
        city.user("staff_huanwei"),
        params={"note": "x"},
        photo_files=[jpeg()],
        now=next_day,
    )
    assert department_table(DAY) == before
    later = {r["code"]: r for r in department_table(Period(DAY.start, DAY.end + timedelta(days=1)))}["huanwei"]
    assert later["handled"] == 4 and later["overdue_unhandled"] == 1  # D is still not handled


def test_a_period_cutting_through_the_morning(story):
    # Up to 12:00: A handled and closed, nothing else handled, nothing yet overdue (due 15:30).
    morning = Period(DAY.start, T0 + 3 * H)
    h = {r["code"]: r for r in department_table(morning)}["huanwei"]
    assert (h["handled"], h["closed"], h["overdue_unhandled"], h["to_handle"]) == (1, 1, 0, 1)
    assert h["on_time_handling_rate"] == 100.0


def test_area_figures(story):
    (street,) = area_table(DAY, "street")
    assert street["code"] == "620402001"
    # Four public reports (call-taker), all registered, one closed, one rework.
    assert (street["reported"], street["public_reports"], street["registered"]) == (4, 4, 4)
    assert (street["closed"], street["rework"], street["closure_rate"]) == (1, 1, 25.0)
    (district,) = area_table(DAY, "district")
    assert district["code"] == "620402" and district["reported"] == 4
    with pytest.raises(ValueError):
        area_table(DAY, "planet")


def test_inspector_and_staff_figures(story):
    (inspector,) = inspector_table(DAY)
    assert inspector["username"] == "inspector1"
    assert (inspector["verified"], inspector["verified_on_time"]) == (4, 4)
    assert (inspector["checked"], inspector["checked_on_time"]) == (2, 2)
    staff = {(r["actor_role"], r["username"]): r for r in staff_table(DAY)}
    d = staff[("dispatcher", "dispatcher")]
    assert (d["dispatched"], d["wrong_dispatch"], d["accurate_dispatch_rate"]) == (5, 1, 80.0)
    s = staff[("supervisor", "supervisor")]
    assert (s["registered"], s["registered_on_time"], s["on_time_registration_rate"]) == (4, 4, 100.0)


def test_weights_and_bands_come_from_the_settings_an_admin_edits(story):
    from evaluation.models import EvaluationSettings

    EvaluationSettings.objects.create(
        department_weights={"volume": 0, "closure": 0, "on_time_handling": 100, "no_rework": 0}
    )
    h = {r["code"]: r for r in department_table(DAY)}["huanwei"]
    assert (h["score"], h["grade"]) == (25.0, "E")  # on-time handling alone: 25 %


def test_average_times_from_the_recorded_stage_durations(story):
    h = {r["code"]: r for r in department_table(DAY)}["huanwei"]
    # A: 09:00 → 10:00 = 1 working hour; B: 09:00 → 16:00 = 3 h + 1.5 h after lunch = 4.5 h.
    assert h["avg_handling_hours"] == 2.75
    (street,) = area_table(DAY, "street")
    assert street["avg_register_hours"] == 0.0  # all four were registered the moment they came back verified


def test_inspector_missed_reports_and_score(story):
    (inspector,) = inspector_table(DAY)
    # Four cases registered in inspector1's cells, all reported by the public first: all missed.
    assert (inspector["registered_in_cells"], inspector["missed_reports"], inspector["missed_report_rate"]) == (
        4,
        4,
        100.0,
    )
    # valid-report rate has nothing to measure: (0×20 + 100×20 + 100×20) / 60 = 66.67 → C
    assert (inspector["score"], inspector["grade"]) == (66.67, "C")


def test_staff_scores(story):
    staff = {(r["actor_role"], r["username"]): r for r in staff_table(DAY)}
    s = staff[("supervisor", "supervisor")]
    assert (s["accurate_registration_rate"], s["score"], s["grade"]) == (100.0, 100.0, "A")
    d = staff[("dispatcher", "dispatcher")]
    # volume 5 → 40 (the dispatcher's bands rise with volume: fewer than 20 → 40); on time 5/5;
    # accurate 4/5: (40×20 + 100×40 + 80×40) / 100 = 80 → B
    assert (d["on_time_dispatch_rate"], d["score"], d["grade"]) == (100.0, 80.0, "B")


def test_a_late_evidence_event_leaves_the_overdue_count_unchanged(story, city):
    """C (never handled, due 15:30) gets an MMS photo at 17:00 and D a transcript at 17:30: both
    are still overdue unhandled at the end of the day (2, as without them)."""
    services.record_evidence(story["C"], role="hotline", note="彩信照片", now=T0 + 8 * H)
    services.record_evidence(story["D"], role="hotline", note="语音转写", now=T0 + 8.5 * H)
    h = {r["code"]: r for r in department_table(DAY)}["huanwei"]
    assert (h["overdue_unhandled"], h["to_handle"]) == (2, 4)


def test_urges_supervision_replies_and_satisfaction_enter_the_department_score(story, city):
    """Hand-worked: urged cases C (twice) and D → 2 of 4 to handle = 50 %; orders on C (answered
    15:00, due 16:30) and D (answered 17:00, late) → 1 of 2 on time = 50 %; callbacks A satisfied,
    B not satisfied, C unreachable → 1 of 2 reached = 50 %. With weights 10/30/30/30 + 10/10/10:
    (100×10 + 25×30 + 25×30 + 50×30 + 50×10 + 50×10 + 50×10) / 130 = 5500 / 130 = 42.31."""
    from evaluation.models import EvaluationSettings, default_weights

    u = city.user
    for name, at in (("C", T0 + 3 * H), ("C", T0 + 4 * H), ("D", T0 + 4 * H)):
        services.act(story[name].number, "urge", u("dispatcher"), params={"note": "快"}, now=at)
    for name in "CD":
        services.act(
            story[name].number, "supervise", u("supervisor"), params={"reply_hours": 2, "note": "督办"}, now=T0 + 5 * H
        )  # 14:00, in the lunch break: reply by 16:30
    services.act(story["C"].number, "reply_supervision", u("staff_huanwei"), params={"note": "在办"}, now=T0 + 6 * H)
    services.act(story["D"].number, "reply_supervision", u("staff_huanwei"), params={"note": "在办"}, now=T0 + 8 * H)
    for name, result in (("A", "satisfied"), ("B", "not_satisfied"), ("C", "unreachable")):
        services.record_callback(story[name], result=result, actor=u("calltaker"), now=T0 + 9 * H)

    h = {r["code"]: r for r in department_table(DAY)}["huanwei"]
    assert (h["urged"], h["urged_rate"]) == (2, 50.0)
    assert (h["supervised"], h["supervision_answered_on_time"], h["supervision_on_time_rate"]) == (2, 1, 50.0)
    assert (h["callbacks_reached"], h["callbacks_satisfied"], h["satisfaction_rate"]) == (2, 1, 50.0)
    assert h["score"] == 40.0  # the new items weigh 0 by default: the standard's score is unchanged
    weights = default_weights() | {"not_urged": 10, "supervision_on_time": 10, "satisfaction": 10}
    EvaluationSettings.objects.create(department_weights=weights)
    h = {r["code"]: r for r in department_table(DAY)}["huanwei"]
    assert h["score"] == 42.31


def test_the_dispatchers_volume_score_rises_with_volume(story):
    """The dispatcher made 5 dispatches, 1 wrong (D), all on time. Default rising bands: 5 < 20 →
    40: (40×20 + 100×40 + 80×40) / 100 = 80.0. Bands [[0, 40], [3, 60], [5, 80]]: 5 → 80 → 88.0."""
    from evaluation.indicators import rising_volume_score
    from evaluation.models import EvaluationSettings

    bands = [[0, 40], [3, 60], [5, 80]]
    assert [rising_volume_score(n, bands) for n in (1, 3, 4, 5, 500)] == [40, 60, 60, 80, 80]
    (row,) = [r for r in staff_table(DAY) if r["actor_role"] == "dispatcher"]
    assert (row["dispatched"], row["volume_score"], row["score"]) == (5, 40, 80.0)
    EvaluationSettings.objects.create(dispatcher_volume_bands=bands)
    (row,) = [r for r in staff_table(DAY) if r["actor_role"] == "dispatcher"]
    assert (row["volume_score"], row["score"]) == (80, 88.0)


def test_role_weights_are_settings_kept_with_a_published_report(story):
    from evaluation.indicators import settings_in_force
    from evaluation.models import EvaluationSettings

    EvaluationSettings.objects.create(
        inspector_weights={"valid_reports": 100, "no_missed_reports": 0, "on_time_verify": 0, "on_time_check": 0},
        shift_leader_weights={"on_time_registration": 100, "accurate_registration": 0, "on_time_closure": 0},
    )
    used = settings_in_force()
    assert used["inspector_weights"]["valid_reports"] == 100 and used["dispatcher_weights"]["volume"] == 20
    (sup,) = [r for r in staff_table(DAY) if r["actor_role"] == "supervisor"]
    assert sup["score"] == sup["on_time_registration_rate"]
