"""The handset case endpoints: report (with photos, GCJ-02, idempotent retries), list, detail,
actions, tasks, photos — and the full loop through the API alone."""

import threading
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from city.coords import wgs84_to_gcj02
from dispatch.models import Case, CaseEvent, CasePhoto
from dispatch.photos import MAX_PHOTO_BYTES
from tests.conftest import LAT, LNG, jpeg

REPORT = {"category": "E0102", "description": "路边垃圾堆积", "lng": LNG, "lat": LAT}


def report(client, body=None, key=None, fmt="json", **extra):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post("/api/v1/cases", body or REPORT, format=fmt, **headers, **extra)


# --------------------------------------------------------------------------- reporting


def test_inspector_reports_a_case_json(api, city):
    r = report(api("inspector1"))
    assert r.status_code == 201, r.content
    body = r.json()
    case = Case.objects.get()
    assert body["number"] == case.number
    assert r["Location"] == f"/api/v1/cases/{case.number}"
    assert body["state"] == "reported" and case.state == "reported"
    assert body["category"] == "E0102"
    assert body["cell"] == "62040200100101"
    assert body["source"] == "inspector" and body["reporter"] == "inspector1"
    assert body["needs_verification"] is False
    assert [e["action"] for e in body["timeline"]] == ["report"]
    assert body["timeline"][0]["actor"] == "inspector1"


def test_multipart_report_with_photos(api, city):
    body = {**REPORT, "urgency": "urgent", "photos": [jpeg(), jpeg(color=(0, 0, 200), name="b.jpg")]}
    r = report(api("inspector1"), body, fmt="multipart")
    assert r.status_code == 201, r.content
    case = Case.objects.get()
    assert case.urgency == "urgent"
    assert CasePhoto.objects.filter(case=case, stage="report").count() == 2
    photos = r.json()["photos"]
    assert len(photos) == 2 and photos[0]["content_type"] == "image/jpeg"
    # Photo URLs work with the same token and are not public.
    img = api("inspector1").get(photos[0]["url"])
    assert img.status_code == 200 and img["Content-Type"] == "image/jpeg"
    assert b"".join(img.streaming_content)[:2] == b"\xff\xd8"
    thumb = api("inspector1").get(photos[0]["thumbnail_url"])
    assert thumb.status_code == 200
    assert api().get(photos[0]["url"]).status_code == 401
    # Department staff of an unrelated department cannot see the case, nor its photos.
    assert api("staff_shizheng").get(photos[0]["url"]).status_code == 404


def test_gcj02_input_is_converted_to_wgs84(api, city):
    g_lng, g_lat = wgs84_to_gcj02(LNG, LAT)
    assert abs(g_lng - LNG) > 0.001  # the offset is real: hundreds of metres
    r = report(api("inspector1"), {**REPORT, "lng": g_lng, "lat": g_lat, "crs": "gcj02"})
    assert r.status_code == 201
    case = Case.objects.get()
    assert abs(case.lng - LNG) < 1e-6 and abs(case.lat - LAT) < 1e-6
    assert r.json()["cell"] == "62040200100101"


def test_reported_at_from_an_offline_queue_is_kept(api, city):
    earlier = timezone.now() - timedelta(hours=3)
    r = report(api("inspector1"), {**REPORT, "reported_at": earlier.isoformat()})
    assert r.status_code == 201
    assert abs((Case.objects.get().reported_at - earlier).total_seconds()) < 1


def test_reported_at_in_the_future_is_refused(api, city):
    r = report(api("inspector1"), {**REPORT, "reported_at": (timezone.now() + timedelta(hours=1)).isoformat()})
    assert r.status_code == 400
    assert r.json()["error"]["fields"] == {"reported_at": "in_future"}
    assert Case.objects.count() == 0


def test_self_resolved_report(api, city):
    r = report(api("inspector1"), {**REPORT, "self_resolved": True})
    assert r.status_code == 201
    assert r.json()["self_resolved"] is True and r.json()["source"] == "self_resolved"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": "X9999"}, "category"),
        ({"lng": "east"}, "lng"),
        ({"lat": 91}, "lat"),
        ({"crs": "bd09"}, "crs"),
        ({"urgency": "panic"}, "urgency"),
        ({"reported_at": "yesterday"}, "reported_at"),
        ({"description": "x" * 2001}, "description"),
    ],
)
def test_bad_report_fields_name_the_field_and_save_nothing(api, city, change, field):
    r = report(api("inspector1"), {**REPORT, **change})
    assert r.status_code == 400, r.content
    assert field in r.json()["error"]["fields"]
    assert Case.objects.count() == 0 and CaseEvent.objects.count() == 0


def test_missing_location_is_400(api, city):
    r = report(api("inspector1"), {"category": "E0102"})
    assert r.status_code == 400
    assert set(r.json()["error"]["fields"]) == {"lng", "lat"}


def test_malformed_json_is_400(api, city):
    r = api("inspector1").post("/api/v1/cases", b"{not json", content_type="application/json")
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "invalid"


def test_a_fake_image_is_415_and_nothing_is_saved(api, city):
    fake = SimpleUploadedFile("photo.jpg", b"GIF89a not really", content_type="image/jpeg")
    r = report(api("inspector1"), {**REPORT, "photos": [jpeg(), fake]}, fmt="multipart")
    assert r.status_code == 415
    assert r.json()["error"]["code"] == "unsupported_media"
    assert Case.objects.count() == 0 and CasePhoto.objects.count() == 0


def test_an_oversized_photo_is_413_and_nothing_is_saved(api, city):
    big = SimpleUploadedFile("big.jpg", jpeg().read() + b"\0" * MAX_PHOTO_BYTES, content_type="image/jpeg")
    r = report(api("inspector1"), {**REPORT, "photos": [big]}, fmt="multipart")
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "too_large"
    assert Case.objects.count() == 0


def test_a_body_too_large_for_any_report_is_refused_before_reading(api, city):
    r = api("inspector1").post(
        "/api/v1/cases", b"{}", content_type="application/json", CONTENT_LENGTH=str(100 * 1024 * 1024)
    )
    assert r.status_code == 413


def test_seven_photos_are_too_many(api, city):
    r = report(api("inspector1"), {**REPORT, "photos": [jpeg() for _ in range(7)]}, fmt="multipart")
    assert r.status_code == 400
    assert "photos" in r.json()["error"]["fields"]
    assert Case.objects.count() == 0


@pytest.mark.parametrize("username", ["dispatcher", "staff_huanwei", "leader"])
def test_roles_that_do_not_report_get_403(api, city, username):
    r = report(api(username))
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "forbidden"
    assert Case.objects.count() == 0


def test_call_taker_reports_as_a_public_case(api, city):
    r = report(api("calltaker"))
    assert r.status_code == 201
    assert r.json()["source"] == "call_taker" and r.json()["needs_verification"] is True


# --------------------------------------------------------------------------- idempotency


def test_a_retry_with_the_same_key_returns_the_first_case(api, city):
    client = api("inspector1")
    first = report(client, key="k-1")
    again = report(client, key="k-1")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["number"] == first.json()["number"]
    assert Case.objects.count() == 1 and CaseEvent.objects.count() == 1


def test_a_retry_with_photos_is_not_filed_twice(api, city):
    client = api("inspector1")
    r1 = report(client, {**REPORT, "photos": [jpeg()]}, key="k-photo", fmt="multipart")
    r2 = report(client, {**REPORT, "photos": [jpeg()]}, key="k-photo", fmt="multipart")
    assert (r1.status_code, r2.status_code) == (201, 200)
    assert Case.objects.count() == 1 and CasePhoto.objects.count() == 1


def test_the_same_key_with_a_different_body_is_409(api, city):
    client = api("inspector1")
    report(client, key="k-2")
    r = report(client, {**REPORT, "description": "另一件事"}, key="k-2")
    assert r.status_code == 409
    assert r.json()["error"]["fields"] == {"idempotency_key": "reused"}
    assert Case.objects.count() == 1


def test_the_same_key_with_a_different_photo_is_409(api, city):
    client = api("inspector1")
    report(client, {**REPORT, "photos": [jpeg()]}, key="k-3", fmt="multipart")
    r = report(client, {**REPORT, "photos": [jpeg(color=(1, 2, 3))]}, key="k-3", fmt="multipart")
    assert r.status_code == 409


def test_an_idempotency_key_belongs_to_the_inspector_who_sent_it(api, city):
    """Issue 13 point 4: two inspectors whose handsets make up the same key for the same report
    each get a case of their own; neither is handed the other's."""
    first = report(api("inspector1"), key="k-shared")
    second = report(api("inspector2"), key="k-shared")
    assert (first.status_code, second.status_code) == (201, 201), second.content
    assert first.json()["number"] != second.json()["number"]
    by_number = {c.number: c.reporter.username for c in Case.objects.select_related("reporter")}
    assert by_number == {first.json()["number"]: "inspector1", second.json()["number"]: "inspector2"}
    # Each one's retry still finds their own case.
    again = report(api("inspector2"), key="k-shared")
    assert (again.status_code, again.json()["number"]) == (200, second.json()["number"])
    assert Case.objects.count() == 2


def test_different_keys_file_different_cases(api, city):
    client = api("inspector1")
    report(client, key="a")
    report(client, key="b")
    assert Case.objects.count() == 2


@pytest.mark.parametrize("key", ["", " ", "x" * 101])
def test_a_bad_idempotency_key_is_400(api, city, key):
    r = report(api("inspector1"), HTTP_IDEMPOTENCY_KEY=key)
    assert r.status_code == 400
    assert Case.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_file_one_case(api, city):
    """Eight copies of one report at once (a handset retrying on a flaky network): one case."""
    clients = [api("inspector1") for _ in range(8)]
    results = []
    barrier = threading.Barrier(len(clients))

    def send(client):
        barrier.wait()
        try:
            results.append(report(client, key="same-key").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200] * 7 + [201]
    assert Case.objects.count() == 1
    assert CaseEvent.objects.filter(action="report").count() == 1


# --------------------------------------------------------------------------- reading


def test_list_filters_and_cursor_pagination(api, city, make_case):
    mine = [report(api("inspector1"), key=f"m{i}").json()["number"] for i in range(3)]
    other = make_case("registered")
    client = api("supervisor")
    r = client.get("/api/v1/cases", {"limit": 2})
    assert r.status_code == 200
    page1 = r.json()
    assert len(page1["results"]) == 2 and page1["next"]
    page2 = client.get(page1["next"]).json()
    seen = [c["number"] for c in page1["results"] + page2["results"]]
    assert sorted(seen) == sorted([*mine, other.number]) and len(set(seen)) == 4
    assert page2["next"] is None
    registered = client.get("/api/v1/cases", {"state": "registered"}).json()["results"]
    assert [c["number"] for c in registered] == [other.number]
    both = client.get("/api/v1/cases?state=registered&state=reported").json()["results"]
    assert len(both) == 4
    own = api("inspector2").get("/api/v1/cases", {"mine": 1}).json()["results"]
    assert own == []
    # inspector1 reported three and was sent to verify the fourth.
    own = api("inspector1").get("/api/v1/cases", {"mine": 1}).json()["results"]
    assert sorted(c["number"] for c in own) == sorted([*mine, other.number])


def test_updated_since(api, city, make_case):
    case = make_case("reported")
    client = api("supervisor")
    later = (timezone.now() + timedelta(seconds=1)).isoformat()
    assert client.get("/api/v1/cases", {"updated_since": later}).json()["results"] == []
    earlier = (case.updated_at - timedelta(seconds=1)).isoformat()
    assert [c["number"] for c in client.get("/api/v1/cases", {"updated_since": earlier}).json()["results"]] == [
        case.number
    ]


@pytest.mark.parametrize(
    "query", [{"state": "sleeping"}, {"updated_since": "last week"}, {"mine": "perhaps"}, {"cursor": "garbage"}]
)
def test_bad_list_queries_are_4xx_with_error_body(api, city, query):
    r = api("supervisor").get("/api/v1/cases", query)
    assert r.status_code in (400, 404)
    assert "error" in r.json()


def test_department_sees_only_its_cases(api, city, make_case):
    theirs = make_case("dispatched")  # rubbish → huanwei
    assert api("staff_huanwei").get(f"/api/v1/cases/{theirs.number}").status_code == 200
    assert api("staff_shizheng").get(f"/api/v1/cases/{theirs.number}").status_code == 404
    assert api("staff_shizheng").get("/api/v1/cases").json()["results"] == []


def test_resident_phone_is_masked_for_handsets(api, city, make_case):
    case = make_case("reported", reporter_phone="13812341234")
    assert api("inspector1").get(f"/api/v1/cases/{case.number}").json()["reporter_phone"] == "138****1234"
    assert api("calltaker").get(f"/api/v1/cases/{case.number}").json()["reporter_phone"] == "+8613812341234"
    assert api("dispatcher").get(f"/api/v1/cases/{case.number}").json()["reporter_phone"] == "138****1234"


def test_unknown_case_is_404(api, city):
    r = api("supervisor").get("/api/v1/cases/NOPE")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


# --------------------------------------------------------------------------- actions


def act(client, number, action, body=None, fmt="json"):
    return client.post(f"/api/v1/cases/{number}/actions/{action}", body or {}, format=fmt)


def test_the_full_loop_through_the_api_alone(api, city):
    inspector, supervisor, dispatcher, staff = (
        api("inspector1"), api("supervisor"), api("dispatcher"), api("staff_huanwei")
    )  # fmt: skip
    number = report(inspector, {**REPORT, "photos": [jpeg()]}, key="loop", fmt="multipart").json()["number"]

    r = act(supervisor, number, "register", {"note": "属实"})
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "registered" and r.json()["suggested_department"] == "huanwei"

    tasks = dispatcher.get("/api/v1/tasks").json()["tasks"]
    assert [(t["task"], t["case"]["number"]) for t in tasks] == [("dispatch", number)]
    r = act(dispatcher, number, "dispatch", {"department": "huanwei"})
    assert r.json()["state"] == "dispatched" and r.json()["department"] == "huanwei"

    tasks = staff.get("/api/v1/tasks").json()["tasks"]
    assert [(t["task"], t["case"]["number"], t["light"]) for t in tasks] == [("handle", number, "green")]
    assert tasks[0]["due_at"]
    assert "handle" in staff.get(f"/api/v1/cases/{number}").json()["actions"]
    r = act(staff, number, "handle", {"note": "已清理", "photos": [jpeg(color=(0, 200, 0))]}, fmt="multipart")
    assert r.status_code == 200, r.content
    # Handling sends the grid's inspector to check automatically.
    assert r.json()["state"] == "checking" and r.json()["assigned_inspector"] == "inspector1"

    tasks = inspector.get("/api/v1/tasks").json()["tasks"]
    assert [(t["task"], t["case"]["number"]) for t in tasks] == [("check", number)]
    r = act(inspector, number, "check", {"result": "passed", "note": "已复核"})
    assert r.status_code == 200 and r.json()["state"] == "checked"  # 待结案: the shift leader closes
    r = act(supervisor, number, "close", {"note": "结案"})
    assert r.status_code == 200
    body = r.json()
    assert body["state"] == "closed" and body["closed_at"]
    assert [e["action"] for e in body["timeline"]] == [
        "report",
        "register",
        "dispatch",
        "handle",
        "send_check",
        "check",
        "close",
    ]
    ids = [e["id"] for e in body["timeline"]]
    assert ids == sorted(ids)
    assert [e["to_state"] for e in body["timeline"]][-1] == "closed"
    assert sorted(p["stage"] for p in body["photos"]) == ["handle", "report"]
    assert inspector.get("/api/v1/tasks").json()["tasks"] == []


def test_verify_loop_for_a_public_report(api, city, make_case):
    case = make_case("reported")
    r = act(api("calltaker"), case.number, "send_verify", {"inspector": "inspector1"})
    assert r.json()["state"] == "verifying"
    tasks = api("inspector1").get("/api/v1/tasks").json()["tasks"]
    assert [t["task"] for t in tasks] == ["verify"]
    assert act(api("inspector2"), case.number, "verify", {"result": "exists"}).status_code == 403
    r = act(api("inspector1"), case.number, "verify", {"result": "exists", "photos": [jpeg()]}, fmt="multipart")
    assert r.status_code == 200 and r.json()["verify_result"] == "exists"
    assert [p["stage"] for p in r.json()["photos"]] == ["verify"]


def test_wrong_role_is_403_and_wrong_state_is_409(api, city, make_case):
    case = make_case("reported")
    r = act(api("dispatcher"), case.number, "register")
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = act(api("dispatcher"), case.number, "dispatch", {"department": "huanwei"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "wrong_state"
    assert r.json()["error"]["state"] == "reported"
    case.refresh_from_db()
    assert case.state == "reported" and case.events.count() == 1


def test_other_department_cannot_handle(api, city, make_case):
    case = make_case("dispatched")
    r = act(api("staff_shizheng"), case.number, "handle", {"note": "x", "photos": [jpeg()]}, fmt="multipart")
    assert r.status_code == 403


def test_missing_fields_are_named(api, city, make_case):
    case = make_case("dispatched")
    r = act(api("staff_huanwei"), case.number, "handle", {})
    assert r.status_code == 400
    assert r.json()["error"]["fields"] == {"note": "required", "photos": "required"}
    r = act(api("staff_huanwei"), case.number, "request_postpone", {"hours": 0, "reason": "x"})
    assert r.status_code == 400 and "hours" in r.json()["error"]["fields"]


def test_postpone_request_and_decision(api, city, make_case):
    case = make_case("dispatched")
    due = case.due_at
    r = act(api("staff_huanwei"), case.number, "request_postpone", {"hours": 8, "reason": "材料未到"})
    assert r.json()["pending_request"] == "postpone" and r.json()["pending_hours"] == 8
    r = act(api("dispatcher"), case.number, "decide_postpone", {"approve": True})
    assert r.status_code == 200 and r.json()["pending_request"] == ""
    case.refresh_from_db()
    assert case.due_at > due and case.postpone_count == 1


def test_return_with_reason(api, city, make_case):
    case = make_case("dispatched")
    r = act(api("staff_huanwei"), case.number, "return", {"reason": "不属本部门"})
    assert r.json()["state"] == "registered" and r.json()["return_count"] == 1


def test_version_mismatch_is_409_conflict(api, city, make_case):
    case = make_case("registered")
    r = act(api("dispatcher"), case.number, "dispatch", {"department": "huanwei", "version": case.version - 1})
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"
    r = act(api("dispatcher"), case.number, "dispatch", {"department": "huanwei", "version": case.version})
    assert r.status_code == 200


def test_unknown_action_and_case_are_404(api, city, make_case):
    case = make_case("reported")
    assert act(api("supervisor"), case.number, "explode").status_code == 404
    assert act(api("supervisor"), "NOPE", "register").status_code == 404


def test_multipart_approve_left_out_is_missing_not_false(api, city, make_case):
    case = make_case("dispatched")
    act(api("staff_huanwei"), case.number, "request_postpone", {"hours": 8, "reason": "x"})
    r = act(api("dispatcher"), case.number, "decide_postpone", {"note": "?"}, fmt="multipart")
    assert r.status_code == 400 and r.json()["error"]["fields"] == {"approve": "required"}


def test_actions_list_follows_role_and_rule(api, city, make_case):
    case = make_case("verifying")
    assert api("inspector1").get(f"/api/v1/cases/{case.number}").json()["actions"] == ["verify"]
    assert api("supervisor").get(f"/api/v1/cases/{case.number}").json()["actions"] == ["classify", "add_note", "cancel"]
    # Not their grid, not sent to them, not reported by them: invisible.
    assert api("inspector2").get(f"/api/v1/cases/{case.number}").status_code == 404


def test_the_case_list_takes_the_case_query_filters(api, city, make_case):
    rubbish = make_case("dispatched", address="人民路 8 号", reporter_phone="13912345678")
    manhole = make_case("reported", category=city.categories["manhole"], address="公园路")
    supervisor = api("supervisor")
    numbers = lambda r: sorted(c["number"] for c in r.json()["results"])  # noqa: E731
    assert numbers(supervisor.get("/api/v1/cases", {"q": "人民路"})) == [rubbish.number]
    assert numbers(supervisor.get("/api/v1/cases", {"category": "C0103"})) == [manhole.number]
    assert numbers(supervisor.get("/api/v1/cases", {"department": "huanwei"})) == [rubbish.number]
    assert numbers(supervisor.get("/api/v1/cases", {"phone": "139 1234 5678"})) == [rubbish.number]
    r = api("inspector1").get("/api/v1/cases", {"phone": "13912345678"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    bad = supervisor.get("/api/v1/cases", {"reported_to": "9999-12-31"})
    assert bad.status_code == 400 and "reported_to" in bad.json()["error"]["fields"]


def test_a_retried_action_with_its_key_changes_nothing(api, city, make_case):
    """A handset whose answer was lost sends the same action again with the same key and version:
    the first result, not a conflict with itself, and one event."""
    case = make_case("checking")
    inspector = api("inspector1")
    body = {"result": "passed", "note": "已清理", "version": case.version}
    headers = {"HTTP_IDEMPOTENCY_KEY": "check-1"}
    first = inspector.post(f"/api/v1/cases/{case.number}/actions/check", body, format="json", **headers)
    again = inspector.post(f"/api/v1/cases/{case.number}/actions/check", body, format="json", **headers)
    assert first.status_code == again.status_code == 200, again.content
    assert again.json()["version"] == first.json()["version"] == case.version + 1
    assert case.events.filter(action="check").count() == 1
    # Another key is another action: refused, the case moved on.
    other = inspector.post(f"/api/v1/cases/{case.number}/actions/check", body, format="json", HTTP_IDEMPOTENCY_KEY="x")
    assert other.status_code == 409


def test_a_conflict_says_what_changed(api, city, make_case):
    case = make_case("checking")
    seen = case.version
    assert act(api("supervisor"), case.number, "cancel", {"reason": "重复上报"}).status_code == 200
    r = act(api("inspector1"), case.number, "check", {"result": "passed", "version": seen})
    assert r.status_code == 409
    error = r.json()["error"]
    assert error["code"] == "conflict" and error["state"] == "cancelled" and error["changed_action"] == "cancel"
    assert error["message"].startswith("案卷已被他人更新，本次操作未执行：supervisor 于 ")
    assert "“作废”" in error["message"] and "案卷现为“已作废”" in error["message"]
    r = api("inspector1").post(
        f"/api/v1/cases/{case.number}/actions/check", {"result": "passed", "version": seen}, format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip
    assert r.json()["error"]["message"].startswith("Someone else changed the case first")
