from datetime import timedelta

import pytest
from django.utils import timezone

from mobile_api.models import ApiToken, hash_token

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


def test_repeated_wrong_passwords_for_one_username_are_throttled_and_logged(api, caplog):
    for _ in range(5):
        assert login(api(), "inspector1", "guess", REMOTE_ADDR="10.0.0.1").status_code == 401
    # From another address, with the right password: the username is locked for the window.
    r = login(api(), "inspector1", REMOTE_ADDR="10.0.0.2")
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "throttled"
    assert int(r["Retry-After"]) > 0
    assert any("login throttled" in m for m in caplog.messages)
    assert any("login failed" in m for m in caplog.messages)
    # Another user is not affected.
    assert login(api(), "inspector2", REMOTE_ADDR="10.0.0.2").status_code == 200


def test_one_address_guessing_many_usernames_is_throttled(api):
    for i in range(20):
        login(api(), f"nobody{i}", "guess", REMOTE_ADDR="10.9.9.9")
    assert login(api(), "inspector1", REMOTE_ADDR="10.9.9.9").status_code == 429
    assert login(api(), "inspector1", REMOTE_ADDR="10.9.9.8").status_code == 200


def test_success_clears_the_username_counter(api):
    for _ in range(4):
        login(api(), "inspector1", "guess")
    assert login(api(), "inspector1").status_code == 200
    for _ in range(4):
        login(api(), "inspector1", "guess")
    assert login(api(), "inspector1").status_code == 200
