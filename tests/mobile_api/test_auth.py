from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from mobile_api.models import ApiToken, hash_token
from tests.conftest import T0

PW = "pw-12319-test"


def login(client, username, password=PW, **extra):
    return client.post("/api/v1/auth/token", {"username": username, "password": password}, format="json", **extra)


def test_login_returns_token_and_user(api, city):
    r = login(api(), "inspector1")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["user"] == {
        "username": "inspector1",
        "roles": ["inspector"],
        "department": None,
        "grids": ["62040200100101", "62040200100102"],
    }
    token = ApiToken.objects.get(user=city.user("inspector1"))
    assert token.key_hash == hash_token(body["token"])  # stored hashed, never raw
    assert body["token"] not in token.key_hash
    assert (token.expires_at - timezone.now()) > timedelta(days=29)


def test_department_user_gets_department_code(api):
    r = login(api(), "staff_huanwei")
    assert r.json()["user"]["department"] == "huanwei"
    assert r.json()["user"]["grids"] == []


def test_token_authenticates_me(api):
    raw = login(api(), "supervisor").json()["token"]
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    r = client.get("/api/v1/me")
    assert r.status_code == 200
    assert r.json()["username"] == "supervisor"
    assert r.json()["roles"] == ["supervisor"]


def test_wrong_password_is_401_with_error_body(api):
    r = login(api(), "inspector1", "nope")
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "not_authenticated"
    assert ApiToken.objects.count() == 0


@pytest.mark.parametrize("body", [{}, {"username": "inspector1"}, {"password": PW}, {"username": "", "password": ""}])
def test_login_needs_both_fields(api, body):
    r = api().post("/api/v1/auth/token", body, format="json")
    assert r.status_code == 400
    assert set(r.json()["error"]["fields"]) <= {"username", "password"}
    assert r.json()["error"]["fields"]


def test_no_token_is_401(api):
    r = api().get("/api/v1/me")
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "not_authenticated"
    assert r["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("header", ["Token", "Token a b", "Token not-a-real-token", "Token \u00e9"])
def test_bad_tokens_are_401(api, header):
    client = api()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert client.get("/api/v1/me").status_code == 401


def test_expired_token_is_refused(api, city):
    client = api("inspector1")
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/v1/me").status_code == 401


def test_inactive_user_token_is_refused(api, city):
    client = api("inspector1")
    city.user("inspector1").__class__.objects.filter(username="inspector1").update(is_active=False)
    assert client.get("/api/v1/me").status_code == 401


def test_delete_revokes_only_the_token_in_use(api, city):
    a, b = api("inspector1"), api("inspector1")
    r = a.delete("/api/v1/auth/token")
    assert r.status_code == 204
    assert a.get("/api/v1/me").status_code == 401
    assert b.get("/api/v1/me").status_code == 200
    assert ApiToken.objects.filter(revoked_at__isnull=False).count() == 1


def test_delete_without_token_is_401(api):
    assert api().delete("/api/v1/auth/token").status_code == 401


def test_stale_token_does_not_block_logging_in_again(api):
    client = api()
    client.credentials(HTTP_AUTHORIZATION="Token expired-or-revoked")
    assert login(client, "inspector1").status_code == 200


# ------------------------------------------------- password guessing (issue 13 point 1, django-axes)


def guess_until_locked(api, username="inspector1", address="10.0.0.1", **extra):
    """Wrong passwords until the guard says 429; returns how many were answered 401 first."""
    for answered in range(settings.AXES_FAILURE_LIMIT + 1):
        r = login(api(), username, "guess", REMOTE_ADDR=address, **extra)
        if r.status_code == 429:
            return answered
        assert r.status_code == 401, r.content
    raise AssertionError("never locked")


def test_the_limit_locks_even_the_right_password_until_the_cool_off(api):
    with time_machine.travel(T0, tick=False) as clock:
        assert guess_until_locked(api) == settings.AXES_FAILURE_LIMIT - 1
        r = login(api(), "inspector1", REMOTE_ADDR="10.0.0.1")
        assert r.status_code == 429
        assert r.json()["error"]["code"] == "throttled"
        assert int(r["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
        assert ApiToken.objects.count() == 0
        clock.shift(settings.AXES_COOLOFF_TIME - timedelta(seconds=5))
        assert login(api(), "inspector1", REMOTE_ADDR="10.0.0.1").status_code == 429
        clock.shift(timedelta(seconds=10))
        assert login(api(), "inspector1", REMOTE_ADDR="10.0.0.1").status_code == 200


@pytest.mark.parametrize("language, text", [("en", "Too many failed sign-ins"), ("zh-hans", "登录失败次数过多")])
def test_the_lockout_answer_is_json_in_the_clients_language(api, language, text):
    guess_until_locked(api)
    r = login(api(), "inspector1", REMOTE_ADDR="10.0.0.1", HTTP_ACCEPT_LANGUAGE=language)
    assert r.status_code == 429 and r["Content-Type"].startswith("application/json")
    assert set(r.json()) == {"error"}
    assert text in r.json()["error"]["message"]
    assert int(r["Retry-After"]) > 0


def test_a_lockout_from_one_address_does_not_lock_the_user_out_elsewhere(api):
    guess_until_locked(api, address="10.0.0.1")
    assert login(api(), "inspector1", REMOTE_ADDR="10.0.0.1").status_code == 429
    # The real inspector, on their handset's own address, still signs in.
    assert login(api(), "inspector1", REMOTE_ADDR="10.0.0.2").status_code == 200
    # ...and another user from the guessing address too.
    assert login(api(), "inspector2", REMOTE_ADDR="10.0.0.1").status_code == 200


def test_a_forged_forwarded_for_header_does_not_escape_the_lockout(api):
    guess_until_locked(api, address="10.0.0.1")
    for i in range(3):
        r = login(api(), "inspector1", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")
        assert r.status_code == 429


def test_a_successful_login_clears_the_count(api):
    for _ in range(2):
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            assert login(api(), "inspector1", "guess").status_code == 401
        assert login(api(), "inspector1").status_code == 200


def test_authenticate_without_a_request_is_refused_not_silently_unguarded(city):
    from django.contrib.auth import authenticate

    with pytest.raises(Exception, match="request"):
        authenticate(username="inspector1", password=PW)
