"""Password guessing on the session login and the admin login (issue 13 point 1).

django-axes guards `authenticate()` itself, so these doors are covered like the API's: after the
limit the right password is refused until the cool-off, with a page in the user's language."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model

from tests.conftest import T0

PW = "pw-Login-12319"
pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return get_user_model().objects.create_superuser(username="chief", password=PW)


def post(client, url, password, language="en", address="10.0.0.1"):
    return client.post(
        url, {"username": "chief", "password": password}, HTTP_ACCEPT_LANGUAGE=language, REMOTE_ADDR=address
    )


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_the_limit_locks_the_login_page_until_the_cool_off(client, staff, url):
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            r = post(client, url, "guess")
            assert r.status_code == 200 and not signed_in(client)  # the form again, with its error
        assert post(client, url, "guess").status_code == 429
        r = post(client, url, PW)
        assert r.status_code == 429 and not signed_in(client)
        page = r.content.decode()
        assert "Too many failed sign-ins" in page and "15 minutes" in page
        assert int(r["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
        clock.shift(settings.AXES_COOLOFF_TIME + timedelta(seconds=1))
        r = post(client, url, PW)
        assert r.status_code == 302 and signed_in(client)


def test_the_lockout_page_speaks_chinese_by_default(client, staff):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post(client, "/accounts/login/", "guess", language="zh-hans")
    r = post(client, "/accounts/login/", PW, language="zh-hans")
    assert r.status_code == 429
    assert "登录失败次数过多" in r.content.decode()


def test_a_lockout_on_the_admin_also_holds_on_the_login_page_and_not_elsewhere(client, staff):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post(client, "/admin/login/", "guess")
    assert post(client, "/accounts/login/", PW).status_code == 429
    assert post(client, "/accounts/login/", PW, address="10.0.0.2").status_code == 302


@pytest.mark.django_db(transaction=True)
def test_the_lockout_page_through_daphne(daphne, staff):
    """The real server (ASGI: axes' middleware runs in its async form): the limit, then a 429 page."""
    import requests

    session = requests.Session()
    url = f"{daphne.url}/accounts/login/"
    codes = []
    for password in ["guess"] * settings.AXES_FAILURE_LIMIT + [PW]:
        session.get(url, timeout=10)
        r = session.post(
            url,
            data={"username": "chief", "password": password, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
            headers={"Accept-Language": "en", "Referer": url},
            allow_redirects=False,
            timeout=10,
        )
        codes.append(r.status_code)
    assert codes == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429, 429], daphne.log()[-3000:]
    assert "Too many failed sign-ins" in r.text
