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
