"""Clock in / clock out on the handset page /m/, in headless Chromium with an emulated position:
the one "on duty" flag other scripts read follows it."""

import pytest
from playwright.sync_api import expect

from field.models import ClockEvent
from tests.conftest import LAT, LNG
from tests.live import screenshot
from tests.mobile_api.test_handset_page import login_with_real_hasher, open_phone, sign_in

pytestmark = pytest.mark.browser
LISTEN = (
    "window.dutyEvents = []; document.addEventListener('handset:duty', (e) => window.dutyEvents.push(e.detail.onDuty))"
)


def test_clock_in_and_out_on_the_handset(live_url, browser, city):
    login_with_real_hasher(city.user("inspector1"))
    context, page = open_phone(browser, live_url)
    sign_in(page)
    expect(page.locator("#duty")).to_be_visible(timeout=10000)
    page.evaluate(LISTEN)
    page.click("#clock-in")
    expect(page.locator("#clock-out")).to_be_visible(timeout=15000)
    expect(page.locator("#duty-state")).to_contain_text("在岗")
    assert page.evaluate("window.handsetDuty.onDuty") is True
    screenshot(page, "handset-on-duty")
    (event,) = ClockEvent.objects.all()
    assert (event.action, event.lng, event.lat, event.cell_code) == (
        "clock_in",
        pytest.approx(LNG),
        pytest.approx(LAT),
        "62040200100101",
    )

    page.reload()  # the flag comes back from the server (and from storage while offline)
    expect(page.locator("#clock-out")).to_be_visible(timeout=15000)
    page.evaluate(LISTEN)
    page.click("#clock-out")
    expect(page.locator("#clock-in")).to_be_visible(timeout=15000)
    assert page.evaluate("window.handsetDuty.onDuty") is False
    assert page.evaluate("window.dutyEvents") == [False]
    assert list(ClockEvent.objects.values_list("action", flat=True).order_by("at")) == ["clock_in", "clock_out"]
    context.close()
