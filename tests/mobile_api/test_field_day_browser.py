"""An inspector's day, end to end in headless Chromium: clock in on the handset, walk through five
cells (emulated geolocation, the page's clock driven by the test), lose the signal mid-path and
report, come back; the command map shows the marker moving live, track replay shows the whole
path in order with the report on it, and the day's coverage counts exactly the five cells."""

import time

import pytest
import requests
from django.utils import timezone
from playwright.sync_api import expect

from dispatch.models import Case
from field import positions
from field.models import PositionSample
from mobile_api.models import ApiToken
from tests.conftest import CELL_H, CELL_W, LAT, LNG
from tests.factories import build_city
from tests.live import screenshot
from tests.maps.test_maps_browser import open_map
from tests.mobile_api.test_handset_page import login_with_real_hasher, sign_in

pytestmark = pytest.mark.browser

X0, Y0 = LNG - CELL_W / 2, LAT - CELL_H / 2  # the south-west corner of cell 01
CELLS = [f"620402001001{i:02d}" for i in range(1, 6)]


def centre(i):
    """The centre of cell 0i of a one-row city (columns run east)."""
    return round(X0 + (i - 0.5) * CELL_W, 7), round(Y0 + CELL_H / 2, 7)


@pytest.fixture
def five_cells(transactional_db, daphne):
    """Five cells in a row, all inspector1's; a server that keeps a trail point every 5 s (the
    page's own 10 s rule then decides) and knows this grid (its index is per process)."""
    positions.store().clear()
    city = build_city(columns=5, rows=1)
    daphne.env["POSITION_TRAIL_SAMPLE_S"] = "5"
    daphne.stop()
    daphne.start()
    yield city
    daphne.env.pop("POSITION_TRAIL_SAMPLE_S")
    daphne.stop()
    daphne.start()
    positions.store().clear()


def test_a_day_in_the_field(live_url, browser, five_cells):
    city = five_cells
    inspector = city.user("inspector1")
    login_with_real_hasher(inspector)
    lng, lat = centre(1)
    phone_ctx = browser.new_context(
        locale="zh-CN", geolocation={"latitude": lat, "longitude": lng}, permissions=["geolocation"],
        viewport={"width": 412, "height": 900}, is_mobile=True, has_touch=True,
    )  # fmt: skip
    phone = phone_ctx.new_page()
    phone.clock.install()
    phone.goto(f"{live_url}/m/")
    sign_in(phone)
    phone.wait_for_selector("#category option[value=E0102]", state="attached")
    phone.wait_for_function(f"document.querySelector('#position').textContent.includes('{lng:.5f}')")

    ctx, board, outside, failed = open_map(browser, live_url, city.user("supervisor"), "/maps/", (1366, 768))
    board.wait_for_selector(".folium-map[data-loaded='1']", timeout=20000)
    board.wait_for_function("window.cityMap.board.socket && window.cityMap.board.socket.readyState === 1")
    time.sleep(0.3)  # the resume round trip

    def marker_at(i):
        x, _ = centre(i)
        board.wait_for_function(
            f"""(() => {{ const d = window.cityMap.dots.get('inspector1');
                return d && Math.abs(d.getLatLng().lng - {x}) < 1e-6; }})()""",
            timeout=15000,
        )

    def walk_to(i):
        x, y = centre(i)
        phone.clock.run_for(11_000)  # the page keeps at most one point per 10 s
        phone_ctx.set_geolocation({"latitude": y, "longitude": x})
        phone.wait_for_function(f"document.querySelector('#position').textContent.includes('{x:.5f}')")

    phone.click("#clock-in")  # 上班打卡 in cell 01: on the map at once
    expect(phone.locator("#duty-state")).to_contain_text("在岗")
    marker_at(1)
    time.sleep(5.5)  # the boards hear of an inspector at most once per 5 s
    walk_to(2)
    phone.evaluate("window.handset.flush()")
    marker_at(2)  # moving, live

    phone_ctx.set_offline(True)  # no signal from here
    walk_to(3)
    phone.select_option("#category", "E0102")
    phone.fill("textarea[name=description]", "巡查途中发现的暴露垃圾")
    phone.click("#report-form button[type=submit]")
    expect(phone.locator("#queue-count")).to_have_text("1")
    walk_to(4)
    walk_to(5)
    phone.evaluate("window.handset.flush()")  # nothing goes out without signal
    assert Case.objects.count() == 0
    expect(phone.locator("#track-last")).to_contain_text("个位置待发送")
    screenshot(phone, "handset-day-offline")

    time.sleep(5.5)
    phone_ctx.set_offline(False)  # signal again, in cell 05
    phone.evaluate("window.handset.flush()")
    expect(phone.locator("#queue-count")).to_have_text("0")
    marker_at(5)
    case = Case.objects.get()
    assert case.cell.code == CELLS[2] and case.reporter == inspector

    # The trail: the whole path, in order, with the phone's own times.
    trail = list(PositionSample.objects.filter(user=inspector).order_by("recorded_at"))
    lngs = [p.lng for p in trail]
    assert lngs == sorted(lngs) and len(trail) >= 5, lngs
    for i in range(1, 6):
        assert any(abs(x - centre(i)[0]) < 1e-6 for x in lngs), i
    day = timezone.localtime(trail[0].recorded_at).date()
    assert trail[0].recorded_at <= case.reported_at <= trail[-1].recorded_at

    # Track replay on the same map: every point in order, the report on the path.
    board.select_option("#replay select[name=inspector]", "inspector1")
    board.fill("#replay input[name=date]", day.isoformat())
    board.click("#replay button[type=submit]")
    form = board.locator("#replay")
    expect(form).to_have_attribute("data-points", str(len(trail)), timeout=15000)
    expect(form).to_have_attribute("data-actions", "1")
    board.locator("#replay-slider").fill(str(len(trail) - 1))
    drawn = board.evaluate(
        "(() => { const p = window.trackReplay.state.marker.getLatLng(); return [p.lng, p.lat]; })()"
    )
    assert drawn == pytest.approx(centre(5))
    tooltips = board.evaluate(
        """(() => {
          const out = [];
          window.trackReplay.state.layer.eachLayer((l) => {
            const t = l.getTooltip && l.getTooltip();
            if (t) out.push(t.getContent());
          });
          return out;
        })()"""
    )
    assert any(case.number in t for t in tooltips), tooltips
    screenshot(board, "map-day-replay")
    assert outside == [] and failed == []

    # Coverage: exactly the five cells of the walk.
    token = ApiToken.issue(city.user("supervisor"))[1]
    r = requests.get(
        f"{live_url}/api/v1/inspectors/inspector1/coverage", params={"date": day.isoformat()},
        headers={"Authorization": f"Token {token}"}, timeout=10,
    )  # fmt: skip
    assert r.status_code == 200, r.text
    coverage = r.json()
    assert coverage["cells_assigned"] == CELLS and coverage["cells_entered"] == CELLS and coverage["rate"] == 1.0
    assert coverage["distance_m"] == pytest.approx(4 * CELL_W * 111320 * 0.8035, rel=0.02)
    ctx.close()
    phone_ctx.close()
