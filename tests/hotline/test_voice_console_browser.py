"""Issue 20 in headless Chromium: a voice report the speech recognition was unsure of carries the
待听录音 badge on the supervision console, and the console's filter shows those alone."""

import pytest
from playwright.sync_api import expect

from dispatch import services
from dispatch.workflow import HOTLINE
from hotline.sms import unclassified_category
from tests.dispatch.test_consoles_browser import open_console, row

pytestmark = pytest.mark.browser


def voice_report(text, needs_listening):
    case, _created = services.report_case(
        actor=None, role=HOTLINE, source="voice", category=unclassified_category(), description=text,
        reporter_phone="13812345678", needs_listening=needs_listening,
    )  # fmt: skip
    return case


def test_the_supervision_console_marks_and_filters_reports_to_listen_to(live_url, browser, city):
    unsure = voice_report("金鱼公园那边好像有什么", needs_listening=True)
    sure = voice_report("人民路路灯坏了", needs_listening=False)
    context, page = open_console(browser, live_url, city.user("supervisor"), "/console/supervision/")
    try:
        expect(row(page, unsure.number).locator(".tag.flag-listen")).to_have_text("待听录音", timeout=10000)
        expect(row(page, sure.number)).to_be_visible()
        expect(row(page, sure.number).locator(".tag.flag-listen")).to_have_count(0)
        page.select_option("#filters select[name=listen]", "true")
        expect(row(page, sure.number)).to_have_count(0, timeout=10000)
        expect(row(page, unsure.number)).to_be_visible()
        page.select_option("#filters select[name=listen]", "")
        expect(row(page, sure.number)).to_be_visible(timeout=10000)
    finally:
        context.close()
