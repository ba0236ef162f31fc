"""Issue 14, points 4 and 6 in headless Chromium at 1366×768: the lists show what a dispatcher
decides by and fit one line per row; one click does one thing (intake, the handset's report,
dispatch); a returned case is not suggested to the department that returned it; the approval
panel shows what was asked."""

from datetime import timedelta

import pytest
from django.utils import timezone

from dispatch import services
from dispatch.models import Case, CaseEvent
from tests.conftest import LAT, LNG
from tests.dispatch.test_consoles_browser import api_act, row
from tests.live import screenshot, session_cookie_for
from tests.mobile_api.test_handset_page import login_with_real_hasher, open_phone, sign_in

pytestmark = pytest.mark.browser
SCREEN = {"width": 1366, "height": 768}


def open_console(browser, live_url, user, path):
    context = browser.new_context(locale="zh-CN", viewport=SCREEN)
    context.add_cookies([session_cookie_for(user, live_url)])
    page = context.new_page()
    page.goto(f"{live_url}{path}")
    page.wait_for_function("window.liveBoard && document.body.dataset.live === 'online'", timeout=10000)
    return context, page


def demo_day(city, make_case):
    """A console's worth of cases as on a working day: fresh and late reports from every source,
    long addresses, urgent ones, dispatched, returned, a pending postponement, a suspension."""
    now = timezone.now()
    made = {}
    calltaker = city.user("calltaker")
    inspector = city.user("inspector1")
    for i, (minutes, source, actor, urgency, address) in enumerate(
        [
            (3, "call_taker", calltaker, "urgent", "人民路与五一街交叉口东北角公交站台旁边的绿化带里"),
            (12, "inspector", inspector, "normal", ""),
            (26, "call_taker", calltaker, "normal", "金鱼公园北门"),
            (45, "inspector", inspector, "normal", "人民路 88 号楼下"),
            (90, "call_taker", calltaker, "urgent", ""),
        ]
    ):
        made[f"reported{i}"] = make_case(
            "reported", now=now - timedelta(minutes=minutes), source=source, actor=actor, urgency=urgency,
            address=address, description="路边垃圾堆积，影响通行",
        )  # fmt: skip
    for i, hours in enumerate([0.2, 1, 30]):
        made[f"dispatched{i}"] = make_case("dispatched", now=now - timedelta(hours=hours), address="人民路商业街")
    made["registered"] = make_case("registered", now=now - timedelta(minutes=20), address="五一街菜市场门口")
    made["manhole"] = make_case("registered", now=now - timedelta(minutes=50), category=city.categories["rubbish"])
    returned = make_case("dispatched", now=now - timedelta(minutes=40), address="金鱼社区 3 号院")
    services.act(returned.number, "return", city.user("staff_huanwei"), params={"reason": "不属于环卫职责"})
    made["returned"] = returned
    pending = make_case("dispatched", now=now - timedelta(hours=2), address="人民路 12 号")
    services.act(pending.number, "request_postpone", city.user("staff_huanwei"), params={"hours": 3, "reason": "缺车"})
    made["pending"] = pending
    made["suspended"] = make_case("suspended", now=now - timedelta(hours=3))
    for case in Case.objects.all():  # the worker's light scan, now
        services.record_light_change(case.id)
    return made


# A row is one line when it is no taller than a row whose cells hold one line of text (a letter and a
# Chinese character: CJK fonts make a taller line than Latin ones).
ROWS_ONE_LINE = """() => {
    const out = [];
    for (const table of document.querySelectorAll("table.cases")) {
        const body = table.tBodies[0];
        const probe = document.createElement("tr");
        for (const th of table.tHead.rows[0].cells) {
            const td = document.createElement("td"); td.textContent = "X汉";
            probe.append(td);
        }
        body.append(probe);
        const line = probe.getBoundingClientRect().height;
        probe.remove();
        for (const tr of body.rows) out.push([tr.dataset.number, tr.getBoundingClientRect().height, line]);
    }
    return out;
}"""


def assert_one_line_per_row(page, at_least):
    rows = page.evaluate(ROWS_ONE_LINE)
    assert len(rows) >= at_least
    tall = [(number, height, line) for number, height, line in rows if height > line + 0.5]
    assert not tall, tall


def test_lists_show_what_a_dispatcher_decides_by_on_one_line_per_row(live_url, browser, city, make_case):
    made = demo_day(city, make_case)
    sup_ctx, supervision = open_console(browser, live_url, city.user("supervisor"), "/console/supervision/")
    first = row(supervision, made["reported0"].number)
    assert (
        "剩" in first.locator(".col-time_left").inner_text() and "分钟" in first.locator(".col-time_left").inner_text()
    )
    assert "市民" in first.locator(".col-reporter_kind").inner_text()
    nameless = row(supervision, made["reported1"].number).locator(".col-place")
    # No address given: the place described from the point (names first), the code on hover too.
    assert "人民路街道 金鱼社区" in nameless.inner_text() and "62040200100101" in nameless.get_attribute("title")
    assert "超期" in row(supervision, made["reported4"].number).locator(".col-time_left").inner_text()
    link = first.locator(".col-number a")
    assert link.get_attribute("href") == f"/cases/{made['reported0'].number}/"
    supervision.wait_for_function("document.querySelector('#today .today-received')")
    assert_one_line_per_row(supervision, 5)
    row(supervision, made["reported2"].number).locator(".col-category_name").click()  # the row still opens the panel
    supervision.locator("#panel h2").wait_for()
    assert_one_line_per_row(supervision, 5)
    screenshot(supervision, "console-supervision-1366")

    # Sortable: by time left, soonest first.
    supervision.locator('th[data-sort="time_left"]').first.click()
    order = supervision.eval_on_selector_all("#list-queue tbody tr", "rows => rows.map(r => r.dataset.number)")
    assert order[0] == made["reported4"].number  # the most overdue
    # Filters: the category and light selects narrow the list.
    supervision.select_option("#filters [name=light]", "red")
    lights = supervision.eval_on_selector_all("#list-queue tbody tr", "rows => rows.map(r => r.className)")
    assert lights and all("light-red" in c for c in lights)
    sup_ctx.close()

    disp_ctx, dispatch = open_console(browser, live_url, city.user("dispatcher"), "/console/dispatch/")
    late = row(dispatch, made["dispatched2"].number)  # the dispatch console lists red and yellow ones
    assert late.locator(".col-department_name").inner_text() == "环卫"
    assert late.locator(".col-time_left").inner_text().startswith("超期")
    assert late.locator(".col-time_left").inner_text().endswith("工时")
    dispatch.wait_for_function("document.querySelector('#counts .count-red')")
    assert_one_line_per_row(dispatch, 6)
    row(dispatch, made["pending"].number).click()
    dispatch.locator("#panel .pending").wait_for()
    assert_one_line_per_row(dispatch, 6)
    screenshot(dispatch, "console-dispatch-1366")

    # The counters are filters: "红灯 n" shows the red cases only; a second click shows all again.
    red = Case.objects.filter(light="red", state__in=["registered", "dispatched", "suspended"]).count()
    all_rows = dispatch.locator("tbody tr").count()
    dispatch.locator("#counts button.count-red").click()
    assert dispatch.locator("#counts button.count-red").get_attribute("aria-pressed") == "true"
    shown = dispatch.eval_on_selector_all("tbody tr", "rows => rows.map(r => r.className)")
    assert shown and all("light-red" in c for c in shown) and len(set(r for r in shown)) >= 1
    assert red >= 1
    dispatch.locator("#counts button.count-red").click()
    assert dispatch.locator("tbody tr").count() == all_rows
    # A state counter filters too.
    dispatch.locator("#counts button.count-registered").click()
    states = dispatch.eval_on_selector_all("tbody tr .col-state_name", "cells => cells.map(c => c.textContent)")
    assert states and set(states) == {"已立案"}
    disp_ctx.close()


def test_the_time_left_keeps_current_without_a_reload(live_url, browser, city, make_case):
    case = make_case("registered", now=timezone.now() - timedelta(minutes=5))
    context = browser.new_context(locale="zh-CN", viewport=SCREEN)
    context.add_cookies([session_cookie_for(city.user("dispatcher"), live_url)])
    page = context.new_page()
    page.clock.install()  # the page's minute timer, driven by the test
    page.goto(f"{live_url}/console/dispatch/")
    page.wait_for_function("window.liveBoard && document.body.dataset.live === 'online'", timeout=10000)
    cell = row(page, case.number).locator(".col-time_left")
    assert cell.inner_text() == "剩 25 分钟"
    # Time passes (the due time is now 3 minutes ago); no event is written, nothing reloads.
    Case.objects.filter(pk=case.pk).update(due_at=timezone.now() - timedelta(minutes=3))
    page.clock.run_for(61000)
    page.wait_for_function(
        f"document.querySelector('tr[data-number=\"{case.number}\"] .col-time_left').textContent === '超期 3 分钟'",
        timeout=5000,
    )
    context.close()


def test_double_click_on_intake_files_one_case_and_shows_its_number(live_url, browser, city):
    context = browser.new_context(locale="zh-CN", viewport=SCREEN)
    context.add_cookies([session_cookie_for(city.user("calltaker"), live_url)])
    page = context.new_page()
    page.goto(f"{live_url}/console/intake/")
    page.fill("#id_phone", "13812345678")
    page.fill("#id_category", "E0102")
    page.fill("#id_description", "楼下垃圾没人收")
    page.evaluate(f"() => {{ id_lng.value = '{LNG}'; id_lat.value = '{LAT}'; }}")
    page.dblclick("#intake-submit")
    page.wait_for_selector("#created-number")
    page.wait_for_load_state("networkidle")
    case = Case.objects.get()
    assert page.inner_text("#created-number") == case.number
    assert case.events.filter(action="report").count() == 1
    context.close()


def test_double_click_on_the_handset_report_files_one_case(live_url, browser, city):
    login_with_real_hasher(city.user("inspector1"))
    context, page = open_phone(browser, live_url)
    sign_in(page)
    page.wait_for_selector("#category option[value=E0102]", state="attached")
    page.wait_for_function("document.querySelector('#position').textContent.includes('104.17')")
    page.fill("#category-search", "暴露")
    page.fill("textarea[name=description]", "双击上报")
    page.dblclick("#report-form button[type=submit]")
    page.wait_for_function("document.querySelector('#report-status').textContent.match(/[CE]\\d{10,}/)", timeout=10000)
    page.evaluate("window.handset.flush()")
    case = Case.objects.get()
    assert case.number in page.inner_text("#report-status")
    assert case.events.filter(action="report").count() == 1
    context.close()


def test_double_click_on_dispatch_changes_once_and_a_stale_click_says_what_changed(live_url, browser, city, make_case):
    one, two, three = make_case("registered"), make_case("registered"), make_case("registered")
    ctx, page = open_console(browser, live_url, city.user("dispatcher"), "/console/dispatch/")
    # The list's one-click dispatch, clicked twice.
    row(page, one.number).locator("button.quick").dblclick()
    page.wait_for_function(f"window.liveBoard.cases.get('{one.number}').state === 'dispatched'", timeout=5000)
    assert CaseEvent.objects.filter(case=one, action="dispatch").count() == 1

    # The panel's form, clicked twice.
    row(page, two.number).click()
    form = page.locator('#panel form[data-action="dispatch"]')
    form.wait_for()
    form.locator("select").first.select_option("shizheng")
    form.locator("button").dblclick()
    page.locator("#action-status.ok").wait_for(timeout=5000)
    assert CaseEvent.objects.filter(case=two, action="dispatch").count() == 1
    assert Case.objects.get(pk=two.pk).department.code == "shizheng"

    # Someone else acts while this page is not listening: the click carries the version it saw,
    # gets 409, changes nothing, and the page says what happened instead.
    row(page, three.number).click()
    page.locator('#panel form[data-action="dispatch"]').wait_for()
    page.evaluate("window.liveBoard.handle = () => {}")  # deaf from here on
    api_act(live_url, city, "dispatcher", three.number, "dispatch", department="huanwei")  # another screen
    page.locator('#panel form[data-action="dispatch"] select').first.select_option("shizheng")
    page.locator('#panel form[data-action="dispatch"] button').click()
    page.locator("#action-status.error").wait_for(timeout=5000)
    said = page.inner_text("#action-status")
    assert "已被他人更新" in said and "dispatcher" in said and "派遣" in said and "处置中" in said
    three.refresh_from_db()
    assert three.department.code == "huanwei" and three.events.filter(action="dispatch").count() == 1
    ctx.close()


def test_a_returned_case_is_not_suggested_to_the_department_that_returned_it(live_url, browser, city, make_case):
    from city.models import RoutingRule

    rubbish = city.categories["rubbish"]
    RoutingRule.objects.create(category=rubbish, area_code="620402001", department=city.departments["huanwei"])
    RoutingRule.objects.filter(category=rubbish, area_code="").update(department=city.departments["shizheng"])
    case = make_case("dispatched")
    services.act(case.number, "return", city.user("staff_huanwei"), params={"reason": "不属于环卫职责"})
    ctx, page = open_console(browser, live_url, city.user("dispatcher"), "/console/dispatch/")
    quick = row(page, case.number).locator("button.quick")
    assert "市政" in quick.inner_text() and "环卫" not in quick.inner_text()
    row(page, case.number).click()
    page.locator("#panel .returns").wait_for()
    assert "不属于环卫职责" in page.inner_text("#panel .returns") and "环卫" in page.inner_text("#panel .returns")
    chosen = page.eval_on_selector('#panel form[data-action="dispatch"] select', "s => s.value")
    assert chosen == "shizheng"

    # Returned by shizheng too: no suggestion at all, no one-click dispatch, nothing preselected.
    api_act(live_url, city, "dispatcher", case.number, "dispatch", department="shizheng")
    api_act(live_url, city, "staff_shizheng", case.number, "return", reason="也不是市政的")
    page.wait_for_function(f"window.liveBoard.cases.get('{case.number}').return_count === 2", timeout=5000)
    assert row(page, case.number).locator("button.quick").count() == 0
    row(page, case.number).click()
    page.wait_for_function("document.querySelector('#panel .returns') && "
                           "document.querySelectorAll('#panel .returns .return').length === 2")  # fmt: skip
    assert page.eval_on_selector('#panel form[data-action="dispatch"] select', "s => s.value") == ""
    assert "无推荐部门" in page.inner_text("#panel .returns")
    ctx.close()


def test_the_approval_panel_shows_the_hours_asked_and_the_due_time_if_approved(live_url, browser, city, make_case):
    case = make_case("dispatched")
    services.act(case.number, "request_postpone", city.user("staff_huanwei"), params={"hours": 6, "reason": "缺车"})
    case.refresh_from_db()
    ctx, page = open_console(browser, live_url, city.user("dispatcher"), "/console/dispatch/")
    row(page, case.number).click()
    page.locator("#panel .pending").wait_for()
    assert page.inner_text("#panel .pending .asked") == "申请延期 6 工时"
    before = page.inner_text("#panel .pending .due-if-approved")
    assert page.locator('#panel form[data-action="decide_postpone"]').count() == 1
    page.locator('#panel form[data-action="decide_postpone"] select').first.select_option("true")
    page.locator('#panel form[data-action="decide_postpone"] button').click()
    page.locator("#action-status.ok").wait_for(timeout=5000)
    from dispatch.display import local

    case.refresh_from_db()
    assert local(case.due_at) == before  # what the panel said is what the approval did
    ctx.close()
