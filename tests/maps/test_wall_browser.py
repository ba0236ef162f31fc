"""The wall 大屏 in headless Chromium, every request outside 127.0.0.1 aborted: it fits the screen
with no scrolling, and a new case moves today's figures and the feed within 2 s."""

import re

import pytest
import requests
from django.utils import timezone
from playwright.sync_api import expect

from mobile_api.models import ApiToken
from tests.conftest import LAT, LNG
from tests.live import page_on_a_closed_network, screenshot, session_cookie_for

pytestmark = pytest.mark.browser

# Every box the wall shows: the title bar, the seven figures, the eight panels.
BOXES = ".wall-head, .kpi, .panel"
PANELS = [
    "panel-trend", "panel-categories", "panel-sources", "panel-map",
    "panel-feed", "panel-departments", "panel-red", "panel-inspectors",
]  # fmt: skip


def open_wall(browser, live_url, city, viewport):
    """The wall for a leader; `outside` collects requests that left 127.0.0.1 (aborted), `failed`
    the requests that failed or answered an error."""
    ctx = browser.new_context(locale="zh-CN", viewport={"width": viewport[0], "height": viewport[1]})
    ctx.add_cookies([session_cookie_for(city.user("leader"), live_url)])
    page, outside, failed = page_on_a_closed_network(ctx, live_url)
    page.goto(f"{live_url}/maps/wall/")
    expect(page.locator("#wall")).to_have_attribute("data-last-id", re.compile(r"^\d+$"), timeout=20000)
    expect(page.locator("#wall")).to_have_attribute("data-live", "online", timeout=20000)
    return ctx, page, outside, failed


@pytest.mark.parametrize("viewport", [(1920, 1080), (1366, 768), (3840, 2160)])
def test_wall_shows_every_panel_without_scrolling(live_url, browser, city, make_case, viewport):
    now = timezone.now()
    make_case("closed", now=now)
    make_case("dispatched", now=now)
    ctx, page, outside, failed = open_wall(browser, live_url, city, viewport)
    expect(page.locator("[data-today=reported]")).to_have_text("2")
    expect(page.locator("[data-today=closed]")).to_have_text("1")
    page.wait_for_function("document.querySelectorAll('#wall .chart canvas').length === 4")
    page.wait_for_selector(".folium-map[data-loaded='1']", timeout=20000)

    sizes = page.evaluate(
        "({sh: document.documentElement.scrollHeight, sw: document.documentElement.scrollWidth,"
        " bh: document.body.scrollHeight, h: innerHeight, w: innerWidth})"
    )
    assert sizes["sh"] <= sizes["h"] and sizes["bh"] <= sizes["h"] and sizes["sw"] <= sizes["w"], sizes
    boxes = page.evaluate(
        f"[...document.querySelectorAll('{BOXES}')].map((e) => {{ const r = e.getBoundingClientRect();"
        " return {id: e.id || e.className, top: r.top, left: r.left, bottom: r.bottom, right: r.right,"
        " width: r.width, height: r.height}; })"
    )
    assert {b["id"] for b in boxes} >= set(PANELS)
    assert len(boxes) == 1 + 7 + len(PANELS)
    for b in boxes:
        assert b["width"] > 50 and b["height"] > 20, b
        assert b["top"] >= 0 and b["left"] >= 0 and b["bottom"] <= sizes["h"] and b["right"] <= sizes["w"], b
    # Each panel's title is whole on the screen (not pushed out by its contents).
    for panel in PANELS[:3] + PANELS[4:]:
        title = page.locator(f"#{panel} h2").bounding_box()
        box = next(b for b in boxes if b["id"] == panel)
        assert title["y"] >= box["top"] and title["y"] + title["height"] <= box["bottom"], panel
    # Words, not codes: the feed names the category and the place.
    expect(page.locator("#feed tr").first).to_contain_text("暴露垃圾")
    assert not re.search(r"\d{9,}", page.inner_text("#panel-feed"))
    screenshot(page, f"map-wall-{viewport[0]}")
    assert outside == [] and failed == []
    ctx.close()


def test_a_new_case_moves_todays_figures_and_the_feed(live_url, browser, city):
    ctx, page, outside, failed = open_wall(browser, live_url, city, (1920, 1080))
    expect(page.locator("[data-today=reported]")).to_have_text("0")
    page.wait_for_function("window.cityWall.board.socket && window.cityWall.board.socket.readyState === 1")

    # The case is filed by the server (the handset API → dispatch.services), which broadcasts it.
    token = ApiToken.issue(city.user("inspector1"))[1]
    r = requests.post(
        f"{live_url}/api/v1/cases", json={"category": "E0102", "lng": LNG, "lat": LAT, "description": "路边垃圾"},
        headers={"Authorization": f"Token {token}"}, timeout=10,
    )  # fmt: skip
    assert r.status_code == 201
    number = r.json()["number"]
    expect(page.locator(f"#feed tr[data-number='{number}']")).to_contain_text("暴露垃圾", timeout=2000)
    expect(page.locator("[data-today=reported]")).to_have_text("1", timeout=2000)
    expect(page.locator("[data-yesterday=reported]")).to_have_text("0")
    assert outside == [] and failed == []
    ctx.close()
