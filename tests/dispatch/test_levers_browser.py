"""催办 reaches the department's portal live (headless Chromium against a real daphne)."""

import pytest

from tests.dispatch.test_consoles_browser import api_act, open_console, row
from tests.live import screenshot

pytestmark = pytest.mark.browser


def test_a_department_sees_an_urge_live(live_url, browser, city, make_case):
    case = make_case("dispatched")
    dept_ctx, department = open_console(browser, live_url, city.user("staff_huanwei"), "/console/department/")
    row(department, case.number).wait_for(timeout=5000)
    assert department.locator(f'tr[data-number="{case.number}"] .tag.flag-urged').count() == 0

    api_act(live_url, city, "dispatcher", case.number, "urge", note="请今天内处置")
    department.locator(f'tr[data-number="{case.number}"] .tag.flag-urged').wait_for(timeout=3000)
    assert "催办" in row(department, case.number).inner_text()

    # A supervision order lists the case under the orders to answer, without a reload.
    api_act(live_url, city, "supervisor", case.number, "supervise", reply_hours=4, note="督办")
    department.locator(f'#list-supervised tr[data-number="{case.number}"]').wait_for(timeout=3000)
    screenshot(department, "console-department-urged")
    dept_ctx.close()


def test_the_callback_page_records_not_satisfied_and_opens_the_linked_case(live_url, browser, city, make_case):
    from django.utils import timezone

    from dispatch.models import CaseEvent

    # The server runs on the real clock: the case closes now, inside the worklist's window.
    closed = make_case("closed", now=timezone.now())
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    from tests.live import session_cookie_for

    context.add_cookies([session_cookie_for(city.user("calltaker"), live_url)])
    page = context.new_page()
    page.goto(f"{live_url}/hotline/callbacks/")
    line = page.locator(f'tr[data-number="{closed.number}"]')
    assert "13812341234" in line.inner_text()
    line.locator("input[name=note]").fill("垃圾又堆起来了")
    line.locator('button[value="not_satisfied"]').click()
    page.locator("#followup").wait_for(timeout=5000)
    screenshot(page, "callbacks-not-satisfied")
    followup = page.locator("#followup").inner_text()
    page.locator("#followup").click()
    page.wait_for_url(f"**/cases/{followup}/")
    assert closed.number in page.content()
    assert CaseEvent.objects.get(case=closed, action="callback").data["followup"] == followup
    context.close()
