"""Issue 13 point 11: `reported_at` is bounded (not in the future, not older than REPORT_MAX_AGE_DAYS)
and every time the API returns is valid RFC 3339, whatever offset the handset sent."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings

from dispatch import services
from dispatch.models import Case
from tests.conftest import LAT, LNG, T0

REPORT = {"category": "E0102", "description": "路边垃圾堆积", "lng": LNG, "lat": LAT}
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
TIME_KEYS = {"reported_at", "created_at", "updated_at", "closed_at", "due_at", "stage_started_at", "at", "expires_at"}


@pytest.fixture(autouse=True)
def _fixed_clock():
    with time_machine.travel(T0, tick=False):
        yield


def times_in(body, path="$"):
    """Every (where, value) in a JSON body whose key names a time."""
    if isinstance(body, dict):
        for k, v in body.items():
            if k in TIME_KEYS and isinstance(v, str):
                yield f"{path}.{k}", v
            else:
                yield from times_in(v, f"{path}.{k}")
    elif isinstance(body, list):
        for i, v in enumerate(body):
            yield from times_in(v, f"{path}[{i}]")


def assert_rfc3339(body):
    bad = [(where, v) for where, v in times_in(body) if not RFC3339.match(v)]
    assert bad == []


def test_the_max_age_is_a_setting_of_30_days_by_default():
    assert settings.REPORT_MAX_AGE_DAYS == 30


def test_a_report_older_than_the_max_age_is_refused_with_a_clear_error(api, city):
    old = T0 - timedelta(days=30, minutes=1)
    r = api("inspector1").post("/api/v1/cases", {**REPORT, "reported_at": old.isoformat()}, format="json")
    assert r.status_code == 400, r.content
    error = r.json()["error"]
    assert error["fields"] == {"reported_at": "too_old"}
    assert "30" in error["message"]
    assert not Case.objects.exists()


def test_the_refusal_is_in_the_clients_language(api, city):
    old = T0 - timedelta(days=31)
    r = api("inspector1").post(
        "/api/v1/cases", {**REPORT, "reported_at": old.isoformat()}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert r.status_code == 400 and "30 days" in r.json()["error"]["message"]


def test_a_report_within_the_max_age_is_kept(api, city):
    earlier = T0 - timedelta(days=29, hours=23)
    r = api("inspector1").post("/api/v1/cases", {**REPORT, "reported_at": earlier.isoformat()}, format="json")
    assert r.status_code == 201, r.content
    assert Case.objects.get().reported_at == earlier


def test_the_max_age_follows_the_setting(api, city, settings):
    settings.REPORT_MAX_AGE_DAYS = 2
    r = api("inspector1").post(
        "/api/v1/cases", {**REPORT, "reported_at": (T0 - timedelta(days=3)).isoformat()}, format="json"
    )
    assert r.status_code == 400 and r.json()["error"]["fields"] == {"reported_at": "too_old"}


def test_the_service_refuses_too_old_reports_whatever_the_door(city):
    from citymgmt.errors import InvalidData

    with pytest.raises(InvalidData) as refused:
        services.report_case(
            actor=city.user("inspector1"), source="inspector", category="E0102", lng=LNG, lat=LAT,
            reported_at=T0 - timedelta(days=40),
        )  # fmt: skip
    assert refused.value.fields == {"reported_at": "too_old"}


@pytest.mark.parametrize("offset", ["+14:07", "-11:59", "+05:45", "+00:00", "Z", "+14:00"])
def test_any_offset_comes_back_as_valid_rfc3339_and_the_same_instant(api, city, offset):
    sent = (T0 - timedelta(hours=2)).astimezone(UTC).replace(tzinfo=None)
    hours, minutes = (0, 0) if offset == "Z" else (int(offset[1:3]), int(offset[4:6]))
    delta = timedelta(hours=hours, minutes=minutes) * (-1 if offset.startswith("-") else 1)
    local = (sent + delta).isoformat() + offset
    client = api("inspector1")
    r = client.post("/api/v1/cases", {**REPORT, "reported_at": local}, format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert_rfc3339(body)
    returned = datetime.fromisoformat(body["reported_at"].replace("Z", "+00:00"))
    assert returned == sent.replace(tzinfo=UTC)
    assert Case.objects.get().reported_at.utcoffset() == timedelta(0)  # stored normalised (UTC)
    for url in ["/api/v1/cases", f"/api/v1/cases/{body['number']}", "/api/v1/tasks"]:
        listed = client.get(url)
        assert listed.status_code == 200
        assert_rfc3339(listed.json())


@pytest.mark.parametrize("value", ["2026-11-24T07:00:00+14:07:30", "2026-11-24T07:00:00.123456+14:07"])
def test_offsets_with_seconds_or_fractions_are_normalised_too(api, city, value):
    r = api("inspector1").post("/api/v1/cases", {**REPORT, "reported_at": value}, format="json")
    if r.status_code == 400:
        assert r.json()["error"]["fields"] == {"reported_at": "invalid"} or "reported_at" in r.json()["error"]["fields"]
        return
    assert r.status_code == 201, r.content
    assert_rfc3339(r.json())


def test_an_old_time_with_an_odd_offset_is_refused_not_returned_as_lmt(api, city):
    """Before 1901 the city's zone is local mean time, +08:05:43: not RFC 3339, and it broke every later list."""
    r = api("inspector1").post("/api/v1/cases", {**REPORT, "reported_at": "1900-01-01T00:00:00+14:07"}, format="json")
    assert r.status_code == 400, r.content
    assert "reported_at" in r.json()["error"]["fields"]
    assert not Case.objects.exists()


def test_times_already_stored_before_the_bounds_still_come_back_as_rfc3339(api, city, make_case):
    case = make_case("reported")
    Case.objects.filter(pk=case.pk).update(reported_at=datetime(1900, 1, 1, tzinfo=UTC))
    client = api("supervisor")
    for url in ["/api/v1/cases", f"/api/v1/cases/{case.number}"]:
        body = client.get(url).json()
        assert_rfc3339(body)


@pytest.mark.parametrize("value", ["0001-01-01T00:00", "0001-01-01T00:00:00"])
def test_a_naive_time_in_year_one_is_400_not_500(api, city, value):
    # DRF's zone check on a naive time in the city's zone (+08:00) overflowed into year 0.
    client = api("inspector1")
    assert client.get("/api/v1/cases", {"updated_since": value}).status_code == 400
    r = client.post("/api/v1/cases", {**REPORT, "reported_at": value}, format="json")
    assert r.status_code == 400
    assert "reported_at" in r.json()["error"]["fields"]
    assert Case.objects.count() == 0
