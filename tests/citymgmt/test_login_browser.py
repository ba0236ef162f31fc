"""Signing in through the real login page, in headless Chromium, against daphne."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from playwright.sync_api import expect

from tests.live import screenshot

pytestmark = pytest.mark.browser


def test_sign_in_in_chinese_and_switch_to_english(live_url, browser):
    get_user_model().objects.create(
        username="supervisor09", password=make_password("pw-Login-12319", hasher="pbkdf2_sha256")
    )
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_url}/")
    assert "/accounts/login/" in page.url
    assert page.locator("h1").inner_text() == "登录"
    page.fill("input[name=username]", "supervisor09")
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit]")
    expect(page.locator(".error")).to_be_visible()
    page.fill("input[name=username]", "supervisor09")
    page.fill("input[name=password]", "pw-Login-12319")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_url}/")
    assert "supervisor09" in page.locator("header").inner_text()
    screenshot(page, "login-home")
    with page.expect_navigation():  # the menu submits the form: wait for the new page
        page.select_option("select[name=language]", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Welcome"
    context.close()
