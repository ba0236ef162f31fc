"""Issue 13 point 13: every error the API answers reads in the client's language.

Each kind of failure is requested with `Accept-Language: en`; the message (and every other
readable text of the error body) must be English: no CJK character anywhere in it."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dispatch.photos import MAX_PHOTO_BYTES
from tests.conftest import LAT, LNG, jpeg

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
REPORT = {"category": "E0102", "description": "路边垃圾堆积", "lng": LNG, "lat": LAT}


def texts(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from texts(v)
    elif isinstance(value, list):
        for v in value:
            yield from texts(v)
    elif isinstance(value, str):
        yield value


def assert_english(response, status, code=None):
    assert response.status_code == status, response.content
    error = response.json()["error"]
    if code:
        assert error["code"] == code
    assert error["message"] and not CJK.search(error["message"]), error
    assert [t for t in texts(error) if CJK.search(t)] == [], error
    return error


def login(client, password, **extra):
    return client.post(
        "/api/v1/auth/token", {"username": "inspector1", "password": password}, format="json", **EN, **extra
    )


def test_wrong_password(api):
    error = assert_english(login(api(), "nope"), 401, "not_authenticated")
    assert "password" in error["message"].lower()


def test_no_token_and_a_bad_token(api):
    assert_english(api().get("/api/v1/me", **EN), 401, "not_authenticated")
    client = api()
    client.credentials(HTTP_AUTHORIZATION="Token forged")
    assert_english(client.get("/api/v1/me", **EN), 401, "not_authenticated")


def test_invalid_body(api):
    r = api("inspector1").post("/api/v1/cases", b"{not json", content_type="application/json", **EN)
    assert_english(r, 400, "invalid")


def test_validation_of_fields(api):
    r = api("inspector1").post("/api/v1/cases", {"category": "E0102", "urgency": "panic"}, format="json", **EN)
    error = assert_english(r, 400, "invalid")
    assert {"lng", "lat", "urgency"} <= set(error["fields"])
    # A rule of the service, not of the serializer: an unknown category.
    r = api("inspector1").post("/api/v1/cases", {**REPORT, "category": "E9999"}, format="json", **EN)
    assert_english(r, 400, "invalid")
    # A bad Idempotency-Key header.
    r = api("inspector1").post("/api/v1/cases", REPORT, format="json", HTTP_IDEMPOTENCY_KEY=" ", **EN)
    assert_english(r, 400, "invalid")


def test_not_found(api, city):
    assert_english(api("inspector1").get("/api/v1/cases/E0000000000000000", **EN), 404, "not_found")
    r = api("supervisor").post("/api/v1/cases/E0000000000000000/actions/register", {}, format="json", **EN)
    assert_english(r, 404, "not_found")
    assert_english(api("inspector1").get("/api/v1/grid/locate?lng=10&lat=10", **EN), 404, "not_found")


def test_forbidden(api, city, make_case):
    case = make_case("reported")
    r = api("dispatcher").post(f"/api/v1/cases/{case.number}/actions/register", {}, format="json", **EN)
    assert_english(r, 403, "forbidden")
    assert_english(api("dispatcher").post("/api/v1/cases", REPORT, format="json", **EN), 403, "forbidden")


def test_wrong_state(api, city, make_case):
    case = make_case("reported")
    r = api("dispatcher").post(
        f"/api/v1/cases/{case.number}/actions/dispatch", {"department": "huanwei"}, format="json", **EN
    )
    assert_english(r, 409, "wrong_state")


def test_stale_version(api, city, make_case):
    case = make_case("reported")
    r = api("supervisor").post(
        f"/api/v1/cases/{case.number}/actions/register", {"version": case.version + 5}, format="json", **EN
    )
    assert_english(r, 409, "conflict")


def test_reused_idempotency_key(api, city):
    client = api("inspector1")
    client.post("/api/v1/cases", REPORT, format="json", HTTP_IDEMPOTENCY_KEY="k", **EN)
    r = client.post("/api/v1/cases", {**REPORT, "description": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="k", **EN)
    assert_english(r, 409, "conflict")


def test_throttled_login(api):
    for _ in range(50):
        r = login(api(), "guess", REMOTE_ADDR="10.1.1.1")
        if r.status_code == 429:
            break
    error = assert_english(r, 429, "throttled")
    assert int(r["Retry-After"]) > 0
    assert "minute" in error["message"]


def test_too_large(api, city):
    big = SimpleUploadedFile("big.jpg", jpeg().read() + b"\0" * MAX_PHOTO_BYTES, content_type="image/jpeg")
    r = api("inspector1").post("/api/v1/cases", {**REPORT, "photos": [big]}, format="multipart", **EN)
    assert_english(r, 413, "too_large")
    r = api("inspector1").post(
        "/api/v1/cases", b"{}", content_type="application/json", CONTENT_LENGTH=str(100 * 1024 * 1024), **EN
    )
    assert_english(r, 413, "too_large")


def test_unsupported_media(api, city):
    fake = SimpleUploadedFile("photo.jpg", b"GIF89a not really", content_type="image/jpeg")
    r = api("inspector1").post("/api/v1/cases", {**REPORT, "photos": [fake]}, format="multipart", **EN)
    assert_english(r, 415, "unsupported_media")
    r = api("inspector1").post("/api/v1/cases", b"<xml/>", content_type="application/xml", **EN)
    assert_english(r, 415, "unsupported_media")


def test_unknown_url_and_method(api, city):
    assert_english(api("inspector1").get("/api/v1/no-such-thing", **EN), 404, "not_found")
    assert_english(api("inspector1").put("/api/v1/me", {}, format="json", **EN), 405, "method_not_allowed")


@pytest.mark.parametrize("language, expected", [("en", False), ("zh-hans", True)])
def test_chinese_stays_the_default(api, language, expected):
    r = api().post(
        "/api/v1/auth/token", {"username": "inspector1", "password": "x"}, format="json",
        HTTP_ACCEPT_LANGUAGE=language,
    )  # fmt: skip
    assert bool(CJK.search(r.json()["error"]["message"])) is expected
