"""The maps in headless Chromium, with every request outside localhost blocked."""

import time

import pytest
import requests

from dispatch.models import Case
from mobile_api.models import ApiToken
from tests.conftest import LAT, LNG
from tests.live import page_on_a_closed_network, screenshot, session_cookie_for

pytestmark = pytest.mark.browser


def open_map(browser, live_url, user, path, viewport=(1600, 1000)):
    ctx = browser.new_context(locale="zh-CN", viewport={"width": viewport[0], "height": viewport[1]})
    ctx.add_cookies([session_cookie_for(user, live_url)])
    page, outside, failed = page_on_a_closed_network(ctx, live_url)
    page.goto(f"{live_url}{path}")
    return ctx, page, outside, failed


def test_command_map_shows_every_case_and_takes_new_ones_live(live_url, browser, city, make_case):
    for state in ["reported", "dispatched", "closed", "registered"]:
        make_case(state)
    ctx, page, outside, failed = open_map(browser, live_url, city.user("dispatcher"), "/maps/")
    page.wait_for_selector(".folium-map[data-loaded='1']", timeout=15000)
    page.wait_for_selector(".folium-map[data-cells='2']", timeout=15000)
    shown = int(page.get_attribute(".folium-map", "data-cases"))
    assert shown == Case.objects.count() == 4
    page.wait_for_function("window.cityMap.board.socket && window.cityMap.board.socket.readyState === 1")
    time.sleep(0.3)  # the resume round trip

    token = ApiToken.issue(city.user("inspector1"))[1]
    started = time.monotonic()
    r = requests.post(
        f"{live_url}/api/v1/cases", json={"category": "E0102", "lng": LNG, "lat": LAT},
        headers={"Authorization": f"Token {token}"}, timeout=10,
    )  # fmt: skip
    assert r.status_code == 201
    # This case, not just a fifth one (a late event of an earlier test could make five).
    page.wait_for_function(f"window.cityMap.store.at.has('{r.json()['number']}')", timeout=2000)
    assert time.monotonic() - started < 5
    screenshot(page, "map-command")
    assert outside == [] and failed == []
    ctx.close()
