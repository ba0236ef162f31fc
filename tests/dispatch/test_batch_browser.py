"""Batch work and keyboard shortcuts on the consoles, and the intake's earlier-cases helper, in
headless Chromium against a real daphne."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dispatch.models import Case, CaseEvent
from tests.dispatch.test_consoles_browser import row
from tests.live import screenshot, session_cookie_for

pytestmark = pytest.mark.browser


def open_page(browser, live_url, user, path, ready=True):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    context.add_cookies([session_cookie_for(user, live_url)])
    page = context.new_page()
    page.goto(f"{live_url}{path}")
    if ready:
        page.wait_for_function("window.liveBoard && document.body.dataset.live === 'online'", timeout=15000)
    return context, page


def inspector_report(city, make_case):
    """A report by an inspector (no verification needed before registering)."""
    return make_case("reported", source="inspector", actor=city.user("inspector1"), reporter_phone="")


def test_batch_register_of_5_cases_with_one_refused_shows_4_done_and_1_with_its_reason(
    live_url, browser, city, make_case
):
    ready = [inspector_report(city, make_case) for _ in range(4)]
    resident = make_case("reported")  # a resident's call, not verified on site: refused without a note
    ctx, page = open_page(browser, live_url, city.user("supervisor"), "/console/supervision/")
    for case in [*ready, resident]:
        expect(row(page, case.number)).to_be_visible(timeout=10000)
    # Record whether the batch buttons were disabled while the request ran (one click, one batch).
    page.evaluate(
        """() => { window.batchDisabledSeen = false;
        const seen = () => {
          if (document.querySelector('#batch button[data-batch][disabled]')) window.batchDisabledSeen = true; };
        new MutationObserver(seen).observe(document.getElementById('batch'), { attributes: true, subtree: true }); }"""
    )
    page.locator("#list-queue thead input.pick-all").check()
    expect(page.locator("#batch .selected-count")).to_have_text("已选 5 件")
    page.locator('#batch button[data-batch="register"]').click()

    results = page.locator("#batch-results li")
    expect(results).to_have_count(5, timeout=15000)
    expect(page.locator("#batch-results li.ok")).to_have_count(4)
    refused = page.locator(f'#batch-results li.refused[data-number="{resident.number}"]')
    expect(refused).to_contain_text("未执行")
    expect(refused).to_contain_text("须先核实属实")
    expect(page.locator("#action-status")).to_have_text("批量处理：完成 4 件，未执行 1 件。")
    assert page.evaluate("window.batchDisabledSeen") is True
    # Rows update live: the registered ones leave the supervision lists; the refused one stays,
    # still ticked, marked with its reason.
    for case in ready:
        expect(row(page, case.number)).to_have_count(0, timeout=10000)
    expect(row(page, resident.number).locator(".tag.refused")).to_be_visible()
    expect(row(page, resident.number).locator("td.pick input")).to_be_checked()
    expect(page.locator("#batch .selected-count")).to_have_text("已选 1 件")
    screenshot(page, "console-batch-register")
    assert {c.state for c in Case.objects.filter(pk__in=[c.pk for c in ready])} == {"registered"}
    assert Case.objects.get(pk=resident.pk).state == "reported"
    for case in ready:  # each case its own event
        assert CaseEvent.objects.filter(case=case, action="register", actor=city.user("supervisor")).count() == 1
    ctx.close()


def test_keyboard_j_k_x_r_and_the_help_overlay(live_url, browser, city, make_case):
    cases = [inspector_report(city, make_case) for _ in range(3)]
    ctx, page = open_page(browser, live_url, city.user("supervisor"), "/console/supervision/")
    for case in cases:
        expect(row(page, case.number)).to_be_visible(timeout=10000)
    shown = page.eval_on_selector_all("#lists tbody tr[data-number]", "rows => rows.map(r => r.dataset.number)")

    # ? shows the keys this person may use here; Esc closes it.
    page.keyboard.press("?")
    overlay = page.locator("#shortcut-help")
    expect(overlay).to_be_visible()
    expect(overlay).to_contain_text("下一行")
    expect(overlay.locator("kbd", has_text=re.compile("^r$"))).to_have_count(1)
    expect(overlay).to_contain_text("立案")
    expect(overlay.locator("kbd", has_text=re.compile("^d$"))).to_have_count(0)  # 派遣 is not the supervisor's
    screenshot(page, "console-shortcuts-help")
    page.keyboard.press("Escape")
    expect(overlay).to_be_hidden()

    page.keyboard.press("j")
    expect(page.locator("#lists tr.cursor")).to_have_attribute("data-number", shown[0])
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    expect(page.locator("#lists tr.cursor")).to_have_attribute("data-number", shown[1])
    page.keyboard.press("x")
    expect(row(page, shown[1]).locator("td.pick input")).to_be_checked()
    expect(page.locator("#batch .selected-count")).to_have_text("已选 1 件")
    page.keyboard.press("x")
    expect(row(page, shown[1]).locator("td.pick input")).not_to_be_checked()

    # "/" goes to the search box; keys typed there are text, not shortcuts.
    page.keyboard.press("/")
    search = page.locator("#filters input[name=q]")
    expect(search).to_be_focused()
    page.keyboard.type("jr")
    expect(search).to_have_value("jr")
    expect(page.locator("#lists tbody tr[data-number]")).to_have_count(0)  # nothing matches "jr"
    search.fill("")
    page.keyboard.press("Escape")  # leaves the box
    expect(search).not_to_be_focused()
    expect(page.locator("#lists tbody tr[data-number]")).to_have_count(3)
    expect(page.locator("#lists tr.cursor")).to_have_attribute("data-number", shown[1])  # "j" typed moved nothing

    # r registers the current row (nothing ticked).
    page.keyboard.press("j")
    expect(page.locator("#lists tr.cursor")).to_have_attribute("data-number", shown[2])
    page.keyboard.press("r")
    expect(page.locator(f'#batch-results li.ok[data-number="{shown[2]}"]')).to_be_visible(timeout=15000)
    expect(row(page, shown[2])).to_have_count(0, timeout=10000)
    assert Case.objects.get(number=shown[2]).state == "registered"
    assert {c.state for c in Case.objects.filter(number__in=shown[:2])} == {"reported"}
    ctx.close()


def test_shortcuts_are_offered_only_where_the_role_may_act(live_url, browser, city, make_case):
    case = inspector_report(city, make_case)
    ctx, page = open_page(browser, live_url, city.user("leader"), "/console/supervision/")
    expect(row(page, case.number)).to_be_visible(timeout=10000)
    expect(page.locator("#lists td.pick")).to_have_count(0)  # leaders look on: no boxes, no batch bar
    expect(page.locator("#batch")).to_have_count(0)
    page.keyboard.press("?")
    expect(page.locator("#shortcut-help")).to_contain_text("下一行")
    expect(page.locator("#shortcut-help kbd", has_text=re.compile("^r$"))).to_have_count(0)
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    page.keyboard.press("r")
    expect(page.locator("#lists tr.cursor")).to_have_attribute("data-number", case.number)
    assert Case.objects.get(pk=case.pk).state == "reported"
    ctx.close()


def test_the_postponement_form_shows_its_unit(live_url, browser, city, make_case):
    case = make_case("dispatched")  # rubbish: handled in working hours
    ctx, page = open_page(browser, live_url, city.user("staff_huanwei"), "/console/department/")
    row(page, case.number).click()
    form = page.locator('#panel form[data-action="request_postpone"]')
    expect(form.locator(".unit")).to_have_text("工作时")
    ctx.close()


def test_intake_shows_the_callers_earlier_cases_and_notes_a_repeat_call(live_url, browser, city, make_case):
    # The server runs on the real clock: the earlier case is from now (inside the 90 days).
    earlier = make_case("dispatched", now=timezone.now(), reporter_phone="13812341234")
    ctx, page = open_page(browser, live_url, city.user("calltaker"), "/console/intake/", ready=False)
    page.locator("#id_description").fill("垃圾还在，又来电")
    page.locator("#id_phone").fill("138 1234 1234")
    line = page.locator(f'#earlier li[data-number="{earlier.number}"]')
    expect(line).to_be_visible(timeout=10000)
    expect(line).to_contain_text("处置中")
    expect(page.locator("#earlier")).to_contain_text("不要重复立案")
    line.locator("button").click()
    expect(line).to_contain_text("已记录", timeout=10000)
    expect(line.locator("button")).to_be_disabled()  # one click, one note
    screenshot(page, "intake-earlier-cases")
    (note,) = CaseEvent.objects.filter(case=earlier, action="add_note")
    assert note.note == "垃圾还在，又来电" and note.actor == city.user("calltaker")
    assert Case.objects.count() == 1  # a note on the existing case, not a new one
    ctx.close()


def test_d_dispatches_to_the_suggestion_and_u_urges_with_the_bars_note(live_url, browser, city, make_case):
    waiting = make_case("registered")
    late = make_case("dispatched")
    Case.objects.filter(pk=late.pk).update(light="red")  # listed under 红灯 (the worker would turn it)
    ctx, page = open_page(browser, live_url, city.user("dispatcher"), "/console/dispatch/")
    expect(row(page, waiting.number)).to_be_visible(timeout=10000)
    expect(row(page, late.number)).to_be_visible()
    page.keyboard.press("?")
    help_ = page.locator("#shortcut-help")
    expect(help_.locator("kbd", has_text=re.compile("^d$"))).to_have_count(1)
    expect(help_.locator("kbd", has_text=re.compile("^u$"))).to_have_count(1)
    expect(help_.locator("kbd", has_text=re.compile("^r$"))).to_have_count(0)
    page.keyboard.press("Escape")

    page.keyboard.press("j")  # the to-dispatch list comes first
    expect(page.locator("#lists tr.cursor")).to_have_attribute("data-number", waiting.number)
    page.keyboard.press("d")
    expect(page.locator(f'#batch-results li.ok[data-number="{waiting.number}"]')).to_be_visible(timeout=15000)
    assert Case.objects.get(pk=waiting.pk).department.code == "huanwei"

    # 催办 needs a note: without one nothing is sent and the bar's note box is focused.
    row(page, late.number).locator("td.pick input").check()
    page.keyboard.press("u")
    expect(page.locator("#action-status")).to_contain_text("意见")
    expect(page.locator("#batch input[name=note]")).to_be_focused()
    page.keyboard.type("今天内处置")
    page.keyboard.press("Escape")
    page.keyboard.press("u")
    expect(page.locator(f'#batch-results li.ok[data-number="{late.number}"]')).to_be_visible(timeout=15000)
    (urge,) = CaseEvent.objects.filter(case=late, action="urge")
    assert urge.note == "今天内处置" and urge.actor == city.user("dispatcher")
    ctx.close()
