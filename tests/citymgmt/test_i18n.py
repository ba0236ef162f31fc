"""The interface ships in Chinese, with English available (compiled catalog in locale/)."""

from django.utils import translation

from dispatch.models import State


def test_login_page_in_chinese_by_default_and_english_on_request(client):
    assert "<h1>登录</h1>" in client.get("/accounts/login/").content.decode()
    english = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<h1>Sign in</h1>" in english


def test_domain_labels_and_refusals_are_translated():
    with translation.override("en"):
        assert str(State.CHECKING.label) == "Checking"
        assert str(State.SUSPENDED.label) == "Suspended"
    with translation.override("zh-hans"):
        assert str(State.SUSPENDED.label) == "挂账"
