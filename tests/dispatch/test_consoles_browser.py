"""The consoles in headless Chromium against a real daphne: live without reload, across two
browser contexts, and through a server restart without losing an event."""

import time

import pytest
from django.utils import translation

from dispatch.models import Case
from mobile_api.models import ApiToken
from tests.conftest import LAT, LNG
from tests.live import screenshot, session_cookie_for

pytestmark = pytest.mark.browser


def open_console(browser, live_url, user, path):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1600, "height": 1000})
    context.add_cookies([session_cookie_for(user, live_url)])
    page = context.new_page()
    page.goto(f"{live_url}{path}")
    page.wait_for_function("window.liveBoard && document.body.dataset.live === 'online'", timeout=10000)
    return context, page


def api_report(live_url, city, **fields):
    import requests

    token = ApiToken.issue(city.user("inspector1"))[1]
    body = {"category": "E0102", "description": "浏览器测试", "lng": LNG, "lat": LAT, **fields}
    r = requests.post(f"{live_url}/api/v1/cases", json=body, headers={"Authorization": f"Token {token}"}, timeout=10)
    assert r.status_code == 201, r.text
    return r.json()["number"]


def api_act(live_url, city, username, number, action, **params):
    import requests

    token = ApiToken.issue(city.user(username))[1]
    r = requests.post(
        f"{live_url}/api/v1/cases/{number}/actions/{action}", json=params,
        headers={"Authorization": f"Token {token}"}, timeout=10,
    )  # fmt: skip
    assert r.status_code == 200, r.text
    return r.json()


def row(page, number):
    return page.locator(f'tr[data-number="{number}"]')


def test_report_appears_live_and_dispatch_reaches_the_department(live_url, browser, city, make_case):
    sup_ctx, supervision = open_console(browser, live_url, city.user("supervisor"), "/console/supervision/")
    disp_ctx, dispatch = open_console(browser, live_url, city.user("dispatcher"), "/console/dispatch/")
    dept_ctx, department = open_console(browser, live_url, city.user("staff_huanwei"), "/console/department/")

    started = time.monotonic()
    number = api_report(live_url, city, urgency="urgent")
    row(supervision, number).wait_for(timeout=2000)  # within 2 s, no reload
    assert time.monotonic() - started < 5
    assert "紧急" in row(supervision, number).inner_text()

    # The supervisor registers from the case panel; the case moves to the dispatch console.
    row(supervision, number).click()
    supervision.locator("#panel h2").wait_for()
    supervision.wait_for_function("document.querySelector('#counts .count-reported')")
    screenshot(supervision, "console-supervision")
    supervision.locator('form[data-action="register"] input[name=note]').fill("属实")
    supervision.locator('form[data-action="register"] button').click()
    supervision.locator("#action-status.ok, #action-status.error").wait_for(timeout=5000)
    assert supervision.locator("#action-status").get_attribute("class") == "ok", supervision.locator(
        "#action-status"
    ).inner_text()
    row(dispatch, number).wait_for(timeout=2000)
    row(supervision, number).wait_for(state="detached", timeout=2000)

    # One click on the suggested department.
    row(dispatch, number).locator("button.quick").click()
    row(department, number).wait_for(timeout=2000)
    assert Case.objects.get(number=number).state == "dispatched"
    dispatch.wait_for_function("document.querySelector('#counts .count-dispatched')")
    screenshot(dispatch, "console-dispatch")
    row(department, number).click()
    department.locator('#panel form[data-action="handle"]').wait_for()
    screenshot(department, "console-department")
    for ctx in (sup_ctx, disp_ctx, dept_ctx):
        ctx.close()


def test_department_handles_with_a_photo_from_the_portal(live_url, browser, city, make_case, tmp_path):
    from tests.conftest import jpeg

    case = make_case("dispatched")
    ctx, page = open_console(browser, live_url, city.user("staff_huanwei"), "/console/department/")
    row(page, case.number).click()
    form = page.locator('form[data-action="handle"]')
    form.locator("input[name=note]").fill("已清理")
    photo = tmp_path / "after.jpg"
    photo.write_bytes(jpeg().read())
    form.locator("input[name=photos]").set_input_files(str(photo))
    form.locator("button").click()
    page.locator("#action-status.ok").wait_for(timeout=5000)
    case.refresh_from_db()
    assert case.state == "checking" and case.photos.filter(stage="handle").count() == 1
    ctx.close()


def test_a_server_restart_loses_no_event(live_url, daphne, browser, city, make_case):
    ctx, page = open_console(browser, live_url, city.user("dispatcher"), "/console/dispatch/")
    daphne.stop()
    page.locator("#offline").wait_for(state="visible", timeout=5000)
    # While the server is down, cases change (another process, e.g. the worker or a second daphne).
    cases = [make_case("registered") for _ in range(3)]
    daphne.start()
    for case in cases:  # the board retries every ≤ 12 s (backoff with jitter), then resumes from the log
        row(page, case.number).wait_for(timeout=30000)
    page.locator("#offline").wait_for(state="hidden", timeout=5000)
    numbers = page.eval_on_selector_all("#lists tr[data-number]", "rows => rows.map(r => r.dataset.number)")
    assert sorted(numbers) == sorted(c.number for c in cases)
    assert page.evaluate("window.liveBoard.lastId") == max(e.id for c in cases for e in c.events.all())
    ctx.close()


def test_intake_by_map_click_reads_back_the_number(live_url, browser, city):
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
    ctx.add_cookies([session_cookie_for(city.user("calltaker"), live_url)])
    page = ctx.new_page()
    failed = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.goto(f"{live_url}/console/intake/")
    page.wait_for_selector("#intake-map[data-cells='2']")  # the grid is drawn
    # The phone looks up the caller's earlier cases; wait for it, or the submit's navigation below
    # cancels it (a failed request, on a slow machine).
    with page.expect_response(lambda r: "/intake/earlier" in r.url):
        page.fill("#id_phone", "13812345678")
    page.fill("#id_category", "E0102")
    page.fill("#id_description", "井盖旁堆满垃圾")
    page.locator("#intake-map").click()  # the middle of the city
    assert page.input_value("#id_lng") and page.input_value("#id_lat")
    page.click("#intake button[type=submit]")
    number = page.locator("#created-number").inner_text()
    case = Case.objects.get(number=number)
    assert case.cell is not None and case.reporter_phone == "+8613812345678"
    screenshot(page, "console-intake")
    assert failed == []
    ctx.close()


def test_call_taker_classifies_an_sms_report_by_clicking_the_map(live_url, browser, city):
    from dispatch import services
    from dispatch.workflow import HOTLINE
    from hotline.sms import unclassified_category

    case, _ = services.report_case(
        actor=None, role=HOTLINE, source="sms", category=unclassified_category(), description="井盖没了",
        reporter_phone="+8613812345678",
    )  # fmt: skip
    ctx, page = open_console(browser, live_url, city.user("calltaker"), "/console/supervision/")
    row(page, case.number).click()
    form = page.locator('form[data-action="classify"]')
    form.wait_for()
    page.wait_for_selector("#case-map[data-cells='2']")
    form.locator("select[name=category]").select_option("C0103")
    page.locator("#case-map").click()  # the middle of the city
    assert form.locator("input[name=lng]").input_value()
    form.locator("button").click()
    page.locator("#action-status.ok").wait_for(timeout=5000)
    case.refresh_from_db()
    assert case.category.full_code == "C0103" and case.cell is not None and case.state == "reported"
    ctx.close()


def test_action_forms_are_built_from_the_workflow_table(live_url, browser, city, make_case):
    """The department's forms come from dispatch.workflow: the return form asks for the required
    reason, the postponement form carries the table's cap, and handling says a photo is required
    and sends nothing without one."""
    from dispatch.workflow import TRANSITIONS

    case = make_case("dispatched")
    ctx, page = open_console(browser, live_url, city.user("staff_huanwei"), "/console/department/")
    sent = []
    page.on("request", lambda r: sent.append(r.url) if "/actions/" in r.url else None)
    row(page, case.number).click()
    page.locator('form[data-action="handle"]').wait_for()

    reason = TRANSITIONS["return"].field("reason")
    returning = page.locator('form[data-action="return"]')
    assert returning.locator("input[name=reason]").get_attribute("required") is not None
    assert returning.locator("input[name=reason]").get_attribute("maxlength") == str(reason.max)
    with translation.override("zh-hans"):  # the page is in Chinese, whatever this thread last used
        assert str(reason.label) in returning.inner_text()
    hours = TRANSITIONS["request_postpone"].field("hours")
    postpone_hours = page.locator('form[data-action="request_postpone"] input[name=hours]')
    assert postpone_hours.get_attribute("max") == f"{hours.max:g}"

    handle = page.locator('form[data-action="handle"]')
    assert "此操作须上传照片。" in handle.locator(".photos-required").inner_text()
    handle.locator("input[name=note]").fill("已清理")
    handle.locator("button").click()
    page.locator("#action-status.error").wait_for(timeout=2000)
    assert page.locator("#action-status").inner_text() == "此操作须上传照片。"
    returning.locator("button").click()  # the reason is empty
    page.wait_for_function("document.querySelector('#action-status').textContent.includes('理由')")
    assert sent == []
    case.refresh_from_db()
    assert case.state == "dispatched"
    ctx.close()
