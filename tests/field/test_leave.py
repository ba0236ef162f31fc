"""请假 without the admin, with a fixed clock: an inspector asks through the handset API (validation,
idempotency, overlap), a supervisor decides on /field/leave/ through `field.leave.decide` (once:
409 the second time), the attendance verdict follows, other roles are refused, and the admin's
actions decide through the same function."""

from datetime import datetime, timedelta

import pytest
import time_machine

from field import attendance, leave
from field.models import LeaveRequest
from tests.conftest import SHANGHAI, T0

DAY = T0.date()  # Tuesday 2026-11-24, 09:00 in the city: works 08:30–12:00 and 14:30–18:00
TOMORROW = DAY + timedelta(days=1)


def at(hh, mm, day=DAY):
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=SHANGHAI)


@pytest.fixture
def frozen():
    with time_machine.travel(T0, tick=False):
        yield


@pytest.fixture
def inspector(city):
    return city.user("inspector1")


BODY = {"start": "2026-11-25T08:00", "end": "2026-11-25T18:30", "reason": "家中有事"}


def file_leave(api, body=BODY, key=None, user="inspector1"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return api(user).post("/api/v1/leave", body, format="json", **headers)


# --------------------------------------------------------------------------- asking, on the API


def test_inspector_files_leave_in_local_time_and_lists_it(api, frozen, inspector):
    r = file_leave(api)
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["status"], body["status_label"], body["reason"]) == ("pending", "待审批", "家中有事")
    assert body["start"] == "2026-11-25T08:00:00+08:00"  # datetime-local is the city's wall time
    (row,) = LeaveRequest.objects.all()
    assert (row.user, row.start, row.end) == (inspector, at(8, 0, TOMORROW), at(18, 30, TOMORROW))

    listed = api("inspector1").get("/api/v1/leave")
    assert listed.status_code == 200
    assert [(x["id"], x["status_label"]) for x in listed.json()] == [(row.pk, "待审批")]
    assert api("inspector2").get("/api/v1/leave").json() == []  # only one's own


def test_status_words_follow_the_language(api, frozen, inspector):
    file_leave(api)
    r = api("inspector1").get("/api/v1/leave", HTTP_ACCEPT_LANGUAGE="en")
    assert r.json()[0]["status_label"] == "Awaiting decision"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**BODY, "end": "2026-11-25T08:00"}, "end"),  # not after start
        ({**BODY, "end": "2026-11-24T18:00"}, "end"),  # before start
        ({**BODY, "end": "2026-12-26T08:00"}, "end"),  # 31 days
        ({**BODY, "start": "2026-11-10T08:00", "end": "2026-11-16T18:00"}, "start"),  # ended 8 days ago
        ({**BODY, "start": "2028-01-01T08:00", "end": "2028-01-02T08:00"}, "start"),  # over a year ahead
        ({**BODY, "reason": ""}, "reason"),
        ({**BODY, "reason": "   "}, "reason"),
        ({**BODY, "reason": "长" * 201}, "reason"),
        ({"start": BODY["start"], "end": BODY["end"]}, "reason"),
        ({**BODY, "start": "tomorrow"}, "start"),
        ({**BODY, "start": "0001-01-01T00:00"}, "start"),
        ({**BODY, "end": "9999-12-31T23:59"}, "end"),
        ({**BODY, "start": None}, "start"),
    ],
)
def test_refused_requests_are_400_in_the_users_language_and_change_nothing(api, frozen, inspector, body, field):
    r = file_leave(api, body)
    assert r.status_code == 400, r.content
    assert field in r.json()["error"]["fields"]
    assert LeaveRequest.objects.count() == 0


def test_refusal_in_english(api, frozen, inspector):
    r = api("inspector1").post(
        "/api/v1/leave", {**BODY, "end": BODY["start"]}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert r.status_code == 400
    assert r.json()["error"]["message"] == "The end must be after the start."
    # Pages show the problems in words, never the API's codes (fields keeps those for programs).
    assert r.json()["error"]["fields"] == {"end": "before_start"}
    assert r.json()["error"]["problems"] == [["end", "before the start"]]
    r = api("inspector1").post("/api/v1/leave", {**BODY, "end": BODY["start"]}, format="json")
    assert r.json()["error"]["problems"] == [["结束时间", "早于开始时间"]]


def test_a_request_from_last_week_is_still_accepted(api, frozen, inspector):
    r = file_leave(api, {**BODY, "start": "2026-11-17T08:00", "end": "2026-11-18T18:00"})
    assert r.status_code == 201, r.content


def test_overlapping_pending_or_approved_leave_is_refused(api, frozen, inspector):
    assert file_leave(api).status_code == 201
    r = file_leave(api, {**BODY, "start": "2026-11-25T12:00", "end": "2026-11-26T12:00"})
    assert r.status_code == 400
    assert r.json()["error"]["fields"] == {"start": "overlaps"}
    assert LeaveRequest.objects.count() == 1
    # Back to back is no overlap; another inspector's leave is none of theirs.
    assert file_leave(api, {**BODY, "start": "2026-11-25T18:30", "end": "2026-11-25T20:00"}).status_code == 201
    assert file_leave(api, user="inspector2").status_code == 201


def test_rejected_leave_does_not_block_a_new_request(api, frozen, inspector, city):
    first = file_leave(api).json()
    leave.decide(first["id"], False, city.user("supervisor"))
    assert file_leave(api).status_code == 201


def test_same_key_twice_files_once_and_answers_the_same(api, frozen, inspector):
    r1 = file_leave(api, key="leave-form-1")
    r2 = file_leave(api, key="leave-form-1")
    assert (r1.status_code, r2.status_code) == (201, 200)
    assert r1.json() == r2.json()
    assert LeaveRequest.objects.count() == 1


def test_same_key_other_content_is_409_and_changes_nothing(api, frozen, inspector):
    file_leave(api, key="leave-form-1")
    r = file_leave(api, {**BODY, "reason": "别的事"}, key="leave-form-1")
    assert r.status_code == 409
    assert list(LeaveRequest.objects.values_list("reason", flat=True)) == ["家中有事"]


def test_keys_belong_to_their_inspector(api, frozen, inspector):
    file_leave(api, key="k")
    assert file_leave(api, key="k", user="inspector2").status_code == 201
    assert LeaveRequest.objects.count() == 2


@pytest.mark.parametrize("username", ["supervisor", "dispatcher", "staff_huanwei", "calltaker", "leader"])
def test_only_inspectors_ask_for_leave(api, frozen, city, username):
    assert file_leave(api, user=username).status_code == 403
    assert api(username).get("/api/v1/leave").status_code == 403
    assert LeaveRequest.objects.count() == 0


def test_signed_out_is_401(api, frozen, city):
    assert api().post("/api/v1/leave", BODY, format="json").status_code == 401


def test_the_schema_documents_the_endpoint(api, city):
    r = api().get("/api/schema/", HTTP_ACCEPT="application/json")
    paths = r.json()["paths"]
    assert set(paths["/api/v1/leave"]) >= {"get", "post"}
    params = paths["/api/v1/leave"]["post"]["parameters"]
    assert any(p["name"] == "Idempotency-Key" for p in params)


# --------------------------------------------------------------------------- deciding


@pytest.fixture
def pending(inspector):
    return LeaveRequest.objects.create(user=inspector, start=at(0, 0), end=at(23, 59), reason="病假")


def test_supervisor_approves_on_the_page_and_the_day_becomes_leave(client, frozen, city, inspector, pending):
    assert attendance.day_attendance(inspector, DAY, now=at(23, 59)).status == "absent"
    client.force_login(city.user("supervisor"))
    r = client.post(f"/field/leave/{pending.pk}/approve")
    assert r.status_code == 302
    pending.refresh_from_db()
    assert (pending.status, pending.decided_by, pending.decided_at) == ("approved", city.user("supervisor"), T0)
    assert attendance.day_attendance(inspector, DAY, now=at(23, 59)).status == "leave"


def test_supervisor_rejects(client, frozen, city, inspector, pending):
    client.force_login(city.user("supervisor"))
    assert client.post(f"/field/leave/{pending.pk}/reject").status_code == 302
    pending.refresh_from_db()
    assert pending.status == "rejected"
    assert attendance.day_attendance(inspector, DAY, now=at(23, 59)).status == "absent"


def test_a_second_decision_is_409_and_changes_nothing(client, frozen, city, pending):
    client.force_login(city.user("supervisor"))
    client.post(f"/field/leave/{pending.pk}/approve")
    admin = city.user("admin")
    client.force_login(admin)
    r = client.post(f"/field/leave/{pending.pk}/reject", HTTP_ACCEPT="text/html")
    assert r.status_code == 409
    assert "已批准" in r.content.decode()
    pending.refresh_from_db()
    assert (pending.status, pending.decided_by) == ("approved", city.user("supervisor"))
    with pytest.raises(leave.WrongState):
        leave.decide(pending.pk, True, admin)


@pytest.mark.parametrize("username", ["inspector1", "staff_huanwei", "dispatcher", "calltaker", "leader"])
def test_other_roles_may_not_decide(client, frozen, city, pending, username):
    client.force_login(city.user(username))
    assert client.get("/field/leave/").status_code == 403
    assert client.post(f"/field/leave/{pending.pk}/approve").status_code == 403
    pending.refresh_from_db()
    assert pending.status == "pending"
    with pytest.raises(leave.Forbidden):
        leave.decide(pending.pk, True, city.user(username))


def test_decide_is_post_only_and_knows_its_words(client, frozen, city, pending):
    client.force_login(city.user("supervisor"))
    assert client.get(f"/field/leave/{pending.pk}/approve").status_code == 405
    assert client.post(f"/field/leave/{pending.pk}/maybe").status_code == 404
    assert client.post("/field/leave/999999/approve").status_code == 404
    pending.refresh_from_db()
    assert pending.status == "pending"


def test_the_page_lists_pending_first_then_decided(client, frozen, city, inspector):
    decided = LeaveRequest.objects.create(user=inspector, start=at(8, 0), end=at(12, 0), reason="就医")
    leave.decide(decided.pk, True, city.user("supervisor"), now=T0)
    LeaveRequest.objects.create(user=inspector, start=at(8, 30, TOMORROW), end=at(18, 0, TOMORROW), reason="家中有事")
    client.force_login(city.user("supervisor"))
    page = client.get("/field/leave/").content.decode()
    pending_table, decided_table = page.split('id="leave-decided"')
    assert "家中有事" in pending_table and "就医" not in pending_table
    assert "2026-11-25 08:30–18:00" in pending_table
    assert "<td>7.0</td>" in pending_table  # the whole working day: 3.5 h + 3.5 h
    assert "就医" in decided_table and "已批准" in decided_table
    assert "<td>3.5</td>" in decided_table  # 08:30–12:00 of the morning


def test_the_page_is_in_the_menu_and_linked_from_the_report(client, frozen, city):
    client.force_login(city.user("supervisor"))
    assert 'href="/field/leave/"' in client.get("/field/leave/").content.decode()
    report = client.get("/field/reports/").content.decode()
    assert 'id="leave-link"' in report
    client.force_login(city.user("leader"))  # sees the report, decides no leave
    report = client.get("/field/reports/").content.decode()
    assert "/field/leave/" not in report


def test_working_minutes_of_a_span_over_a_weekend(inspector):
    friday, monday = DAY + timedelta(days=3), DAY + timedelta(days=6)
    lv = LeaveRequest(user=inspector, start=at(14, 30, friday), end=at(12, 0, monday), reason="x")
    assert leave.working_minutes(lv, []) == 210 + 210  # Friday afternoon, Monday morning


# --------------------------------------------------------------------------- the admin, the same rule


def _staff_supervisor(city):
    from django.contrib.auth.models import Permission

    supervisor = city.user("supervisor")
    supervisor.is_staff = True
    supervisor.save()
    supervisor.user_permissions.add(
        *Permission.objects.filter(codename__in=["change_leaverequest", "view_leaverequest"])
    )
    return supervisor


def test_admin_actions_decide_through_the_same_function(client, frozen, city, pending, monkeypatch):
    calls = []
    real = leave.decide
    monkeypatch.setattr(leave, "decide", lambda *a, **k: calls.append(a) or real(*a, **k))
    supervisor = _staff_supervisor(city)
    client.force_login(supervisor)
    r = client.post("/admin/field/leaverequest/", {"action": "reject", "_selected_action": [pending.pk]}, follow=True)
    assert r.status_code == 200
    assert calls == [(pending.pk, False, supervisor, T0)]
    pending.refresh_from_db()
    assert (pending.status, pending.decided_by, pending.decided_at) == ("rejected", supervisor, T0)


def test_admin_action_skips_what_was_decided_meanwhile(client, frozen, city, inspector, pending):
    other = LeaveRequest.objects.create(user=inspector, start=at(0, 0, TOMORROW), end=at(23, 0, TOMORROW), reason="x")
    leave.decide(pending.pk, False, city.user("admin"))
    supervisor = _staff_supervisor(city)
    client.force_login(supervisor)
    r = client.post(
        "/admin/field/leaverequest/", {"action": "approve", "_selected_action": [pending.pk, other.pk]}, follow=True
    )
    assert "已审批 1 条待审批的请假" in r.content.decode()
    pending.refresh_from_db()
    other.refresh_from_db()
    assert (pending.status, other.status) == ("rejected", "approved")


def test_a_huge_request_number_is_404_not_500(client, frozen, city):
    client.force_login(city.user("supervisor"))
    assert client.post(f"/field/leave/{2**70}/approve").status_code == 404
