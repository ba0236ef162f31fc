"""综合查询 and the case page in headless Chromium at 1366×768: found by partial number (from the
header's box), by phone for a call-taker, by address; one line per row; screenshots for the README."""

import pytest

from tests.live import screenshot, session_cookie_for

pytestmark = pytest.mark.browser


def open_page(browser, live_url, user, path, size=(1366, 768)):
    context = browser.new_context(locale="zh-CN", viewport={"width": size[0], "height": size[1]})
    context.add_cookies([session_cookie_for(user, live_url)])
    page = context.new_page()
    page.goto(f"{live_url}{path}")
    return context, page


@pytest.fixture
def many(city, make_case):
    made = [
        make_case("dispatched", address="人民路与北京路交叉口东北角人行道", reporter_phone="13912345678"),
        make_case("reported", address="", description="井盖松动", reporter_phone="13800001111"),
        make_case("closed", address="公园路 12 号", description="绿化带垃圾堆积已多日，气味很大，请尽快处理"),
    ]
    made += [make_case("registered", address=f"兰州路 {i} 号") for i in range(8)]
    return made


def one_line_rows(page) -> list[float]:
    """Heights of the result rows: all equal to a single line's when nothing wraps."""
    return page.eval_on_selector_all(
        "table.query-results tbody tr", "rows => rows.map(r => r.getBoundingClientRect().height)"
    )


def test_found_by_partial_number_phone_and_address_one_line_per_row(live_url, browser, city, many):
    ctx, page = open_page(browser, live_url, city.user("calltaker"), "/console/supervision/")
    target = many[1].number
    page.fill("form.jump input[name=q]", target[-7:])
    page.press("form.jump input[name=q]", "Enter")
    page.wait_for_url("**/cases/?q=*")
    assert page.locator("table.query-results tbody tr").count() == 1
    assert target in page.inner_text("table.query-results")

    page.goto(f"{live_url}/cases/?q=139+1234+5678")  # a call-taker finds a resident's case by phone
    assert page.locator("table.query-results tbody tr").count() == 1
    assert many[0].number in page.inner_text("table.query-results")

    page.goto(f"{live_url}/cases/?q=兰州路")
    assert page.locator("table.query-results tbody tr").count() == 8

    page.goto(f"{live_url}/cases/")
    heights = one_line_rows(page)
    assert len(heights) == len(many) and max(heights) - min(heights) < 1 and max(heights) < 40, heights
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1366, width  # no sideways scrolling at 1366×768
    screenshot(page, "case-query")

    page.click(f"a[href='/cases/{many[2].number}/']")
    page.wait_for_url(f"**/cases/{many[2].number}/")
    assert "流转记录" in page.inner_text("body") and "处置照片" in page.inner_text("body")
    screenshot(page, "case-page")
    ctx.close()


def test_a_full_number_in_the_header_box_opens_the_case(live_url, browser, city, many):
    ctx, page = open_page(browser, live_url, city.user("dispatcher"), "/console/dispatch/")
    page.fill("form.jump input[name=q]", many[0].number)
    page.press("form.jump input[name=q]", "Enter")
    page.wait_for_url(f"**/cases/{many[0].number}/")
    assert "人民路与北京路" in page.inner_text("body")
    assert "139****5678" in page.inner_text("body")  # a dispatcher sees the number masked
    ctx.close()
