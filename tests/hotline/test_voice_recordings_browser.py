"""In headless Chromium: the case page's player plays the recording the city keeps, through
/hotline/recordings/<number> (a real MP3 of silent frames); a dispatcher's page has no player."""

import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import expect

from dispatch import services
from dispatch.workflow import HOTLINE
from hotline.models import VoiceCall
from hotline.sms import unclassified_category
from tests.hotline.test_voice_speech import RECORDING
from tests.live import session_cookie_for

pytestmark = pytest.mark.browser

# MPEG-1 Layer III, 128 kbit/s, 44.1 kHz: 417-byte frames of silence, 1152 samples each (~1 s).
SILENCE = (bytes([0xFF, 0xFB, 0x90, 0x64]) + bytes(413)) * 40


def kept_recording():
    case, _created = services.report_case(
        actor=None, role=HOTLINE, source="voice", category=unclassified_category(), description="语音留言",
        reporter_phone="13812345678", recording_url=RECORDING, needs_listening=True,
    )  # fmt: skip
    call = VoiceCall.objects.create(call_sid="CAbrowser", phone="+8613812345678", case=case, recording_url=RECORDING)
    call.recording_file.save("browser.mp3", ContentFile(SILENCE))
    return case


def open_case(browser, live_url, user, number):
    context = browser.new_context(locale="zh-CN")
    context.add_cookies([session_cookie_for(user, live_url)])
    page = context.new_page()
    page.goto(f"{live_url}/cases/{number}/")
    return context, page


def test_the_case_page_plays_the_kept_recording_to_a_supervisor_only(live_url, daphne, browser, city, settings):
    settings.MEDIA_ROOT = daphne.media  # the file where the server reads it
    case = kept_recording()
    context, page = open_case(browser, live_url, city.user("supervisor"), case.number)
    try:
        audio = page.locator("audio.recording")
        expect(audio).to_have_attribute("src", f"/hotline/recordings/{case.number}")
        expect(audio).to_have_attribute("preload", "none")
        page.evaluate("document.querySelector('audio.recording').load()")  # what pressing play starts
        page.wait_for_function("document.querySelector('audio.recording').readyState >= 1", timeout=10000)
        duration = page.evaluate("document.querySelector('audio.recording').duration")
        assert 0.9 < duration < 1.2  # 40 frames of 1152 samples at 44.1 kHz
        assert "twilio.com" not in page.content()
    finally:
        context.close()
    context, page = open_case(browser, live_url, city.user("dispatcher"), case.number)
    try:
        expect(page.locator(".tag.flag-listen")).to_have_text("待听录音")
        expect(page.locator("audio")).to_have_count(0)
    finally:
        context.close()
