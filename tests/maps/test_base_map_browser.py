"""The command map on the city's own base map, in headless Chromium with every request outside the
app blocked: tiles from an MBTiles file the app serves, drawn in GCJ-02 (MAP_TILES_CRS=gcj02), and
the map's controls. One daphne for the module, with those settings."""

import json
import math

import pytest
import requests
from playwright.sync_api import expect

from mobile_api.models import ApiToken
from tests.conftest import LAT, LNG
from tests.live import Daphne, page_on_a_closed_network, screenshot, session_cookie_for
from tests.maps import mbtiles

pytestmark = pytest.mark.browser

# (LNG, LAT) in GCJ-02: the reference value of the published transform (city/coords.py gives the same).
GCJ_LNG, GCJ_LAT = 104.1727592266304, 36.54503724340988
TILE_COLOR = (236, 226, 198)
ALL_STAGES = {f"cases-{k}": True for k in ("intake", "registered", "handling", "checking", "final")}


@pytest.fixture(scope="module")
def gcj_server(django_db_setup, django_db_blocker, tmp_path_factory):
    from django.db import connection

    path = tmp_path_factory.mktemp("tiles") / "city.mbtiles"
    # The test city's corner of the GCJ-02 base map, at zooms 14–16 (deeper zooms stretch z16).
    mbtiles.make_mbtiles(path, mbtiles.around(GCJ_LNG, GCJ_LAT, range(14, 17), TILE_COLOR), minzoom=14, maxzoom=16)
    server = Daphne(connection.settings_dict, env={"MAP_TILES_MBTILES": str(path), "MAP_TILES_CRS": "gcj02"}).start()
    yield server
    server.stop()


def metres(lng1, lat1, lng2, lat2):
    dy = (lat2 - lat1) * 111_320
    dx = (lng2 - lng1) * 111_320 * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(dx, dy)


def open_map(browser, url, user, *, stages=None, viewport=(1600, 1000)):
    ctx = browser.new_context(locale="zh-CN", viewport={"width": viewport[0], "height": viewport[1]})
    ctx.add_cookies([session_cookie_for(user, url)])
    if stages:
        key = f"citymgmt.map.{user.username}.command"
        ctx.add_init_script(f"localStorage.setItem({json.dumps(key)}, {json.dumps(json.dumps({'overlays': stages}))})")
    page, outside, failed = page_on_a_closed_network(ctx, url)
    page.goto(f"{url}/maps/")
    page.wait_for_selector(".folium-map[data-loaded='1']", timeout=30000)
    return ctx, page, outside, failed


def test_tiles_come_from_the_app_and_a_case_is_drawn_at_its_gcj02_place(
    gcj_server, transactional_db, browser, city, make_case
):
    case = make_case("dispatched")
    assert (case.lng, case.lat) == (LNG, LAT)  # stored as reported: WGS-84
    ctx, page, outside, failed = open_map(browser, gcj_server.url, city.user("dispatcher"))
    page.wait_for_selector(".folium-map[data-cells='2']", timeout=30000)
    # The base map: tiles from /maps/tiles/, loaded (one colour, as made above).
    page.wait_for_function("document.querySelectorAll('img.leaflet-tile-loaded').length > 0", timeout=15000)
    sources = page.eval_on_selector_all("img.leaflet-tile-loaded", "els => els.map(e => [e.src, e.naturalWidth])")
    assert sources and all(src.startswith(f"{gcj_server.url}/maps/tiles/16/") and w == 256 for src, w in sources)

    # The case, zoomed in: drawn on its own at the GCJ-02 position of its WGS-84 point.
    page.evaluate(f"window.cityMap.map.setView([{GCJ_LAT}, {GCJ_LNG}], 19, {{animate: false}})")
    page.wait_for_function(f"window.cityMap.drawn({json.dumps(case.number)}) !== null", timeout=10000)
    drawn = page.evaluate(f"window.cityMap.drawn({json.dumps(case.number)})")
    assert metres(drawn["lng"], drawn["lat"], GCJ_LNG, GCJ_LAT) < 1
    assert metres(drawn["lng"], drawn["lat"], LNG, LAT) > 150  # the shift is real: ~250 m east
    # Its pixel on screen is where the base map puts that GCJ-02 point (within a pixel: ~0.3 m at z19).
    on_screen = page.evaluate(
        f"""(() => {{ const m = window.cityMap.map, c = window.cityMap.cases;
            const d = c.drawn.find((x) => x.count === 1);
            const p = m.latLngToContainerPoint([{GCJ_LAT}, {GCJ_LNG}]);
            const q = m.layerPointToContainerPoint(L.point(d.x, d.y).add(c._origin).subtract(m.getPixelOrigin()));
            return [p.x - q.x, p.y - q.y]; }})()"""
    )
    assert abs(on_screen[0]) <= 1 and abs(on_screen[1]) <= 1
    # The cell is shifted with it: the cell drawn under the GCJ-02 point is the case's cell.
    cell = page.evaluate(
        f"(() => {{ const g = window.cityMap.grid; return g.codes[g.cellAt(L.latLng({GCJ_LAT}, {GCJ_LNG}))]; }})()"
    )
    assert cell == case.cell.code
    # The page's transform is the published one (the vectors tests/city/test_grid.py checks in Python).
    for (wlat, wlng), (glat, glng) in [
        ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),
        ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),
    ]:
        got = page.evaluate(f"CityCRS.wgs84ToGcj02({wlng}, {wlat})")
        assert got == pytest.approx([glng, glat], abs=1e-9)
        back = page.evaluate(f"CityCRS.gcj02ToWgs84({glng}, {glat})")
        assert back == pytest.approx([wlng, wlat], abs=1e-9)
    screenshot(page, "map-gcj02-mbtiles")
    assert outside == [] and failed == []
    ctx.close()


def test_a_closed_case_is_recoloured_live(gcj_server, transactional_db, browser, city, make_case):
    case = make_case("checked")  # 待结案: the supervisor closes it
    ctx, page, outside, failed = open_map(browser, gcj_server.url, city.user("dispatcher"), stages=ALL_STAGES)
    page.wait_for_function("window.cityMap.board.socket && window.cityMap.board.socket.readyState === 1")
    page.evaluate(f"window.cityMap.map.setView([{GCJ_LAT}, {GCJ_LNG}], 19, {{animate: false}})")
    page.wait_for_function(f"window.cityMap.drawn({json.dumps(case.number)}) !== null", timeout=10000)
    closed_color = page.evaluate("JSON.parse(document.getElementById('map-config').textContent).colors.closed")
    assert page.evaluate(f"window.cityMap.drawn({json.dumps(case.number)}).color") != closed_color
    page.wait_for_timeout(300)  # the resume round trip

    token = ApiToken.issue(city.user("supervisor"))[1]
    r = requests.post(
        f"{gcj_server.url}/api/v1/cases/{case.number}/actions/close", json={},
        headers={"Authorization": f"Token {token}"}, timeout=10,
    )  # fmt: skip
    assert r.status_code == 200, r.text
    page.wait_for_function(
        f"window.cityMap.drawn({json.dumps(case.number)}).color === {json.dumps(closed_color)}", timeout=2000
    )
    assert outside == [] and failed == []
    ctx.close()


def test_controls_at_1366_scale_legend_filter_locate_full_screen_and_remembered_view(
    gcj_server, transactional_db, browser, city, make_case
):
    case = make_case("closed")  # a finished case: its stage is hidden at first
    user = city.user("dispatcher")
    ctx, page, outside, failed = open_map(browser, gcj_server.url, user, viewport=(1366, 768))
    # A metric scale bar only.
    expect(page.locator(".leaflet-control-scale-line")).to_have_count(1)
    assert page.inner_text(".leaflet-control-scale-line").strip().endswith("m")
    scale = page.inner_text(".leaflet-control-scale")
    assert "ft" not in scale and "mi" not in scale
    # The legend is a control: it overlaps no other control.
    boxes = page.eval_on_selector_all(
        ".leaflet-control",
        "els => els.map(e => { const r = e.getBoundingClientRect();"
        " return [e.className, r.left, r.top, r.right, r.bottom]; })",
    )
    legend = next(b for b in boxes if "map-legend-control" in b[0])
    for other in boxes:
        if other is legend:
            continue
        overlap = not (legend[3] <= other[1] or other[3] <= legend[1] or legend[4] <= other[2] or other[4] <= legend[2])
        assert not overlap, other[0]
    # The state filter: a checkbox per state, named.
    page.click("#state-filter summary")
    expect(page.locator("#state-filter input[type=checkbox]")).to_have_count(12)
    expect(page.locator("#state-filter label", has_text="待结案")).to_be_visible()
    page.check("#state-filter input[value=closed]")
    expect(page.locator("#state-filter [data-summary]")).to_have_text("已结案")
    page.click("#state-filter summary")

    # Locate by number: the case is outside the stages shown, the map goes there and says so.
    page.fill(".map-locate input", case.number)
    page.click(".map-locate button")
    expect(page.locator(".leaflet-popup-content")).to_contain_text(case.number)
    expect(page.locator(".map-locate-message")).to_have_text("该案卷不在当前筛选范围内")
    assert page.evaluate("window.cityMap.map.getZoom()") >= 18
    page.fill(".map-locate input", "E0000000000000000")
    page.click(".map-locate button")
    expect(page.locator(".map-locate-message")).to_have_text("未找到该案卷")

    # Full screen, and back.
    page.click(".map-fullscreen")
    page.wait_for_function("document.fullscreenElement && document.fullscreenElement.classList.contains('map-frame')")
    expect(page.locator(".map-fullscreen")).to_have_attribute("aria-pressed", "true")
    page.click(".map-fullscreen")
    page.wait_for_function("document.fullscreenElement === null")

    # Layer choices and the view are remembered for this person.
    page.evaluate(f"window.cityMap.map.setView([{GCJ_LAT}, {GCJ_LNG}], 17, {{animate: false}})")
    page.get_by_label("单元网格").uncheck()
    page.get_by_label("已办结").check()
    page.wait_for_timeout(600)  # saved 300 ms after the last change
    page.reload()
    page.wait_for_selector(".folium-map[data-loaded='1']", timeout=30000)
    assert page.evaluate("window.cityMap.map.getZoom()") == 17
    expect(page.get_by_label("单元网格")).not_to_be_checked()
    expect(page.get_by_label("已办结")).to_be_checked()
    page.wait_for_function(f"window.cityMap.store.visible(window.cityMap.store.at.get({json.dumps(case.number)}))")
    screenshot(page, "map-command-1366")
    assert outside == []
    assert [f for f in failed if "number=E0000000000000000" not in f] == []  # the one we asked for
    ctx.close()
