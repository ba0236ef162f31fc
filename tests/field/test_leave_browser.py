"""请假 end to end in headless Chromium: an inspector asks for leave on /m/ with a double click (one
request filed, one shown), a supervisor approves it on /field/leave/, and the inspector's list
shows 已批准 when the page is shown again, without a reload."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from field.models import LeaveRequest
from tests.live import screenshot, session_cookie_for
from tests.mobile_api.test_handset_page import login_with_real_hasher, open_phone, sign_in

pytestmark = pytest.mark.browser


def test_inspector_asks_supervisor_approves_inspector_sees_it(live_url, browser, city):
    inspector = city.user("inspector1")
    login_with_real_hasher(inspector)
    phone_ctx, phone = open_phone(browser, live_url)
    sign_in(phone)
    expect(phone.locator("#leave")).to_be_visible(timeout=10000)
    phone.click("#leave summary")
    expect(phone.locator("#leave-list")).to_contain_text("暂无请假", timeout=10000)

    tomorrow = timezone.localdate() + timedelta(days=1)  # the browser runs on the real clock
    phone.fill("#leave-start", f"{tomorrow:%Y-%m-%d}T08:30")
    phone.fill("#leave-end", f"{tomorrow:%Y-%m-%d}T18:00")
    phone.fill("#leave-reason", "孩子生病")
    phone.dblclick("#leave-submit")
    expect(phone.locator("#leave-message")).to_contain_text("已提交请假", timeout=10000)
    expect(phone.locator("#leave-list li")).to_have_count(1)
    expect(phone.locator("#leave-list li")).to_contain_text("待审批")
    expect(phone.locator("#leave-submit")).to_be_enabled()
    screenshot(phone, "handset-leave-pending")
    (filed,) = LeaveRequest.objects.all()
    assert (filed.user, filed.reason, filed.status) == (inspector, "孩子生病", "pending")
    assert timezone.localtime(filed.start).strftime("%H:%M") == "08:30"  # the city's wall time

    desk_ctx = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
    desk_ctx.add_cookies([session_cookie_for(city.user("supervisor"), live_url)])
    desk = desk_ctx.new_page()
    desk.goto(f"{live_url}/field/reports/")
    desk.click("#leave-link")
    expect(desk.locator("#leave-pending")).to_contain_text("孩子生病")
    expect(desk.locator("#leave-pending")).to_contain_text("7.0")  # a whole working day
    desk.dblclick("#leave-pending button.approve")
    expect(desk.locator("#leave-pending")).to_contain_text("没有待审批的请假")
    expect(desk.locator("#leave-decided")).to_contain_text("已批准")
    screenshot(desk, "field-leave-decided")
    filed.refresh_from_db()
    assert (filed.status, filed.decided_by) == ("approved", city.user("supervisor"))

    # Back to the handset: the page shown again refreshes the list.
    phone.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect(phone.locator("#leave-list li")).to_contain_text("已批准", timeout=10000)
    assert LeaveRequest.objects.count() == 1
    phone_ctx.close()
    desk_ctx.close()
