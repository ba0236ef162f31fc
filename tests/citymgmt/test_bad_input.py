"""Issue 13 point 10: input that used to answer 500 — dates at the ends of the calendar, NUL bytes,
latitudes Redis GEO refuses, huge numbers, a JSON body over the limit — is a 400 (413) naming what
is wrong, and changes nothing. Run on SQLite and on PostgreSQL + Redis (NUL and GEO are theirs)."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from rest_framework.test import APIClient

from dispatch.models import Case
from field.models import PositionSample
from mobile_api.models import ApiToken
from tests.conftest import LAT, LNG, T0

EXTREME_DATES = [
    ("to", "9999-12-31"),
    ("from", "0001-01-01"),
    ("from", "9999-12-31"),
    ("to", "0001-01-01"),
]
EXTREME_SINCE = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00Z"]


@pytest.fixture(autouse=True)
def _fixed_clock():
    with time_machine.travel(T0, tick=False):
        yield


def page_client(city, username):
    client = Client(raise_request_exception=False)
    client.force_login(city.user(username))
    return client


def api_client(city, username):
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.issue(city.user(username))[1]}")
    return client


def assert_json_400(r, field=None):
    assert r.status_code == 400, (r.status_code, r.content[:300])
    assert r["Content-Type"].startswith("application/json")
    error = r.json()["error"]
    assert error["code"] == "invalid" and error["message"]
    if field is not None:
        assert field in error["fields"], error


# --------------------------------------------------------------------------- dates at the calendar's ends


@pytest.mark.parametrize(("name", "value"), EXTREME_DATES)
@pytest.mark.parametrize("feed", ["/maps/api/cases.json", "/maps/api/cases.geojson"])
def test_map_feeds_refuse_dates_at_the_ends_of_the_calendar(city, make_case, feed, name, value):
    make_case("registered")
    assert_json_400(page_client(city, "leader").get(feed, {name: value}), name)


@pytest.mark.parametrize("since", EXTREME_SINCE)
def test_map_feeds_refuse_since_at_the_ends_of_the_calendar(city, since):
    assert_json_400(page_client(city, "leader").get("/maps/api/cases.json", {"since": since}), "since")


@pytest.mark.parametrize(("name", "value"), EXTREME_DATES + [("since", s) for s in EXTREME_SINCE])
@pytest.mark.parametrize("page", ["/maps/", "/maps/wall/", "/maps/hotspots/"])
def test_map_pages_answer_400_for_dates_at_the_ends(city, make_case, page, name, value):
    make_case("registered")
    r = page_client(city, "leader").get(page, {name: value})
    assert r.status_code == 400, r.status_code
    assert name in r.content.decode()


@pytest.mark.parametrize(("name", "value"), EXTREME_DATES)
@pytest.mark.parametrize("table", ["departments", "inspectors", "areas", "staff"])
def test_evaluation_api_refuses_dates_at_the_ends(city, table, name, value):
    other = {"from": "2026-11-01", "to": "2026-11-02"}
    r = api_client(city, "leader").get(f"/api/v1/evaluation/{table}", {**other, name: value})
    assert_json_400(r, name)


@pytest.mark.parametrize("query", [{"to": "9999-12-31"}, {"from": "0001-01-01", "to": "0001-01-02"}])
@pytest.mark.parametrize(
    "url",
    ["/evaluation/", "/evaluation/areas/", "/evaluation/departments/huanwei/", "/evaluation/areas/620402/"],
)
def test_evaluation_pages_refuse_dates_at_the_ends(city, url, query):
    r = page_client(city, "leader").get(url, query)
    assert r.status_code == 400, r.status_code


@pytest.mark.parametrize("query", [{"to": "9999-12-31"}, {"from": "0001-01-01", "to": "0001-01-02"}])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_evaluation_exports_refuse_dates_at_the_ends(city, fmt, query):
    r = page_client(city, "leader").get(f"/evaluation/departments.{fmt}", query)
    assert r.status_code == 400, r.status_code


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "2026-13", "x"])
def test_monthly_report_refuses_months_at_the_ends(city, month):
    client = page_client(city, "leader")
    assert client.get("/evaluation/report/", {"month": month}).status_code == 400
    assert client.post("/evaluation/report/publish", {"month": month}).status_code == 400


@pytest.mark.parametrize("since", [*EXTREME_SINCE, "9999-12-31T23:59:59Z"])
def test_handset_case_list_refuses_updated_since_at_the_ends(city, since):
    assert_json_400(api_client(city, "inspector1").get("/api/v1/cases", {"updated_since": since}), "updated_since")


@pytest.mark.parametrize("recorded_at", EXTREME_SINCE)
def test_positions_refuse_times_at_the_ends(city, recorded_at):
    body = {"positions": [{"lng": LNG, "lat": LAT, "recorded_at": recorded_at}]}
    r = api_client(city, "inspector1").post("/api/v1/positions", body, format="json")
    assert r.status_code == 400, r.content
    assert not PositionSample.objects.exists()


# --------------------------------------------------------------------------- NUL bytes


@pytest.mark.parametrize(
    "url",
    [
        "/maps/api/cases.json?category=%00",
        "/maps/api/cases.json?department=a%00b",
        "/maps/api/cases.geojson?street=1%00",
        "/maps/api/cases.json?all=1&x%00=1",
        "/api/v1/evaluation/departments?level=%00",
        "/api/v1/cases?state=%00",
        "/api/v1/cases/E%00/actions/register",
        "/api/v1/cases/C2026%00",
        "/console/places?q=%00",
        "/console/cases/2026%0001/duplicates",
        "/console/super%00vision/snapshot",
    ],
)
def test_nul_bytes_in_json_urls_are_400_with_the_error_body(city, url):
    client = page_client(city, "supervisor")
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {ApiToken.issue(city.user('supervisor'))[1]}"
    r = client.get(url) if "/actions/" not in url else client.post(url, {}, content_type="application/json")
    assert_json_400(r)


@pytest.mark.parametrize(
    "url",
    [
        "/maps/?category=%00",
        "/maps/hotspots/?department=%00",
        "/evaluation/departments/hu%00anwei/",
        "/evaluation/?level=%00",
        "/console/super%00vision/",
        "/m/?q=%00",
        "/accounts/login/?next=%00",
    ],
)
def test_nul_bytes_in_page_urls_are_a_plain_400(city, url):
    r = page_client(city, "leader").get(url)
    assert r.status_code == 400, r.status_code


def test_nul_bytes_in_the_intake_form_change_nothing(city):
    client = page_client(city, "calltaker")
    form = {
        "phone": "13800000000",
        "name": "张\x00三",
        "category": "E0102",
        "address": "人民路\x00",
        "lng": LNG,
        "lat": LAT,
        "description": "垃圾\x00",
        "urgency": "normal",
    }
    r = client.post("/console/intake/", form)
    assert r.status_code == 400, r.status_code
    assert not Case.objects.exists()


@pytest.mark.parametrize(("username", "password"), [("inspector1\x00", "x"), ("inspector1", "pass\x00word")])
def test_nul_bytes_in_the_login_form_are_refused(city, username, password):
    r = Client(raise_request_exception=False).post("/accounts/login/", {"username": username, "password": password})
    assert r.status_code == 400, r.status_code


def test_nul_bytes_in_an_api_token_login_are_refused(city):
    r = APIClient(raise_request_exception=False).post(
        "/api/v1/auth/token", {"username": "inspector\x001", "password": "x\x00"}, format="json"
    )
    assert_json_400(r)


def test_nul_bytes_in_a_json_report_are_refused(city):
    body = {"category": "E0102", "lng": LNG, "lat": LAT, "description": "a\x00b", "address": "\x00"}
    r = api_client(city, "inspector1").post("/api/v1/cases", body, format="json")
    assert_json_400(r, "description")
    assert not Case.objects.exists()


def test_nul_bytes_in_a_case_action_are_refused(city, make_case):
    case = make_case("reported")
    r = api_client(city, "supervisor").post(
        f"/api/v1/cases/{case.number}/actions/register", {"note": "\x00"}, format="json"
    )
    assert_json_400(r, "note")
    case.refresh_from_db()
    assert case.state == "reported"


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    "query",
    [
        "after=99999999999999999999999",
        "after=-99999999999999999999999",
        "limit=99999999999999999999999",
        "after=1e400",
        "bbox=1e400,0,2e400,1",
        "bbox=nan,nan,nan,nan",
    ],
)
def test_map_feeds_refuse_numbers_out_of_range(city, query):
    r = page_client(city, "leader").get(f"/maps/api/cases.json?{query}")
    assert r.status_code in (200, 400), r.status_code
    if r.status_code == 400:
        assert_json_400(r)


# --------------------------------------------------------------------------- positions near the poles


@pytest.mark.parametrize("lat", [85.06, 89.9, 90, -90, -85.1])
def test_positions_beyond_redis_geo_latitudes_never_half_write(city, lat):
    """Redis GEO takes latitudes within ±85.05112878 only: the trail is kept, the GEO index skipped."""
    body = {"positions": [{"lng": LNG, "lat": lat, "recorded_at": (T0 - timedelta(seconds=5)).isoformat()}]}
    r = api_client(city, "inspector1").post("/api/v1/positions", body, format="json")
    assert r.status_code == 202, r.content
    assert PositionSample.objects.filter(lat=lat).count() == 1
    from field import positions

    latest = {p.username: p for p in positions.store().latest()}
    assert latest["inspector1"].lat == lat
    assert positions.store().near(LNG, LAT, 1000) == []
    positions.store().clear()


# --------------------------------------------------------------------------- a body over the limit


@pytest.mark.parametrize("url", ["/api/v1/positions", "/api/v1/cases", "/api/v1/auth/token"])
def test_a_json_body_over_the_limit_is_the_json_413(city, settings, url):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = {"positions": [{"lng": LNG, "lat": LAT, "recorded_at": T0.isoformat()}] * 100, "pad": "x" * 2000}
    r = api_client(city, "inspector1").post(url, body, format="json")
    assert r.status_code == 413, (r.status_code, r.content[:200])
    assert r["Content-Type"].startswith("application/json")
    assert r.json()["error"]["code"] == "too_large"
    assert not PositionSample.objects.exists()
