"""Track replay 轨迹回放 on the command map, in headless Chromium: the trail in order, the slider
moves the marker along it, the inspector's report is on it."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from field.models import PositionSample
from tests.conftest import CELL_W, LAT, LNG, T0
from tests.live import screenshot
from tests.maps.test_maps_browser import open_map

pytestmark = pytest.mark.browser


def test_slider_moves_the_marker_along_the_trail(live_url, browser, city, make_case):
    one = city.user("inspector1")
    # Eastward through cell 01 into cell 02, one point every 10 s from 09:00 (city time).
    path = [(LNG - CELL_W / 4 + k * CELL_W / 4, LAT) for k in range(6)]
    PositionSample.objects.bulk_create(
        [
            PositionSample(user=one, lng=x, lat=y, recorded_at=T0 + timedelta(seconds=10 * k))
            for k, (x, y) in enumerate(path)
        ]
    )
    report = make_case("reported", actor=one, source="inspector", now=T0 + timedelta(seconds=25))

    ctx, page, outside, failed = open_map(browser, live_url, city.user("supervisor"), "/maps/", (1366, 768))
    page.wait_for_selector(".folium-map[data-loaded='1']", timeout=20000)
    page.select_option("#replay select[name=inspector]", "inspector1")
    page.fill("#replay input[name=date]", T0.date().isoformat())
    page.click("#replay button[type=submit]")
    form = page.locator("#replay")
    expect(form).to_have_attribute("data-points", "6", timeout=15000)
    expect(form).to_have_attribute("data-actions", "1")
    expect(page.locator("#replay-time")).to_have_text("09:00:00")

    def marker():
        return page.evaluate(
            "(() => { const p = window.trackReplay.state.marker.getLatLng(); return [p.lng, p.lat]; })()"
        )

    assert marker() == pytest.approx(path[0])
    page.locator("#replay-slider").fill("3")
    expect(form).to_have_attribute("data-index", "3")
    expect(page.locator("#replay-time")).to_have_text("09:00:30")
    assert marker() == pytest.approx(path[3])
    screenshot(page, "map-track-replay")
    page.locator("#replay-slider").fill("5")
    expect(page.locator("#replay-time")).to_have_text("09:00:50")
    assert marker() == pytest.approx(path[5])
    # The report is drawn where it was made, with its number.
    tooltips = page.evaluate(
        """(() => {
          const out = [];
          window.trackReplay.state.layer.eachLayer((l) => {
            const t = l.getTooltip && l.getTooltip();
            if (t) out.push(t.getContent());
          });
          return out;
        })()"""
    )
    assert any(report.number in t for t in tooltips)
    assert outside == [] and failed == []
    ctx.close()


def test_case_page_shows_the_reporters_trail_around_the_report(live_url, browser, city, make_case):
    one = city.user("inspector1")
    minutes = [-40, -10, 0, 20, 35]  # ± 30 min around the report: the middle three
    PositionSample.objects.bulk_create(
        [
            PositionSample(user=one, lng=LNG + k * 1e-5, lat=LAT, recorded_at=T0 + timedelta(minutes=m))
            for k, m in enumerate(minutes)
        ]
    )
    case = make_case("reported", actor=one, source="inspector", now=T0)
    ctx, page, outside, failed = open_map(browser, live_url, city.user("supervisor"), f"/cases/{case.number}/")
    expect(page.locator("#case-map")).to_have_attribute("data-trail-points", "3", timeout=15000)
    assert outside == [] and failed == []
    ctx.close()
