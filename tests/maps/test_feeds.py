"""Map feeds and pages: what the database holds, filters, colours, access by role."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from dispatch.models import Case
from tests.conftest import T0


def client_for(city, username):
    client = Client()
    client.force_login(city.user(username))
    return client


def all_pages(client, url):
    rows, last_id = [], None
    while url:
        body = client.get(url).json()
        last_id = body["last_id"] if last_id is None else last_id
        rows += body["rows"]
        url = body["next"]
    return rows, last_id


def test_compact_feed_pages_through_every_case(city, make_case):
    cases = [make_case("reported") for _ in range(5)] + [make_case("closed")]
    client = client_for(city, "leader")
    rows, last_id = all_pages(client, "/maps/api/cases.json?all=1&limit=2")
    assert sorted(r[0] for r in rows) == sorted(c.number for c in cases)
    assert last_id == cases[-1].events.order_by("-id").first().id
    closed = next(r for r in rows if r[0] == cases[-1].number)
    assert closed[3] == "closed" and closed[5] == "E0102"


def test_geojson_feed_with_filters(city, make_case):
    open_case = make_case("dispatched")
    closed = make_case("closed")
    manhole = make_case("reported", category=city.categories["manhole"])
    client = client_for(city, "dispatcher")
    body = client.get("/maps/api/cases.geojson", {"all": 1, "state": "open"}).json()
    assert sorted(f["properties"]["number"] for f in body["features"]) == sorted([open_case.number, manhole.number])
    feature = next(f for f in body["features"] if f["properties"]["number"] == open_case.number)
    assert feature["geometry"] == {"type": "Point", "coordinates": [open_case.lng, open_case.lat]}
    assert feature["properties"]["light"] == "green" and feature["properties"]["due_at"]
    by_cat = client.get("/maps/api/cases.geojson", {"all": 1, "category": "C0103"}).json()["features"]
    assert [f["properties"]["number"] for f in by_cat] == [manhole.number]
    by_dept = client.get("/maps/api/cases.geojson", {"all": 1, "department": "huanwei"}).json()["features"]
    assert sorted(f["properties"]["number"] for f in by_dept) == sorted([open_case.number, closed.number])
    far = client.get("/maps/api/cases.geojson", {"all": 1, "bbox": "0,0,1,1"}).json()["features"]
    assert far == []


@time_machine.travel(T0 + timedelta(hours=1))  # the default window counts back from now; cases are at T0
def test_date_range_and_default_window(city, make_case):
    old = make_case("reported", now=T0 - timedelta(days=60))
    recent = make_case("reported")
    client = client_for(city, "leader")
    default = [r[0] for r in all_pages(client, "/maps/api/cases.json")[0]]
    assert recent.number in default and old.number not in default
    day = (T0 - timedelta(days=60)).date().isoformat()
    only_old = [r[0] for r in all_pages(client, f"/maps/api/cases.json?from={day}&to={day}")[0]]
    assert only_old == [old.number]


@pytest.mark.parametrize(
    "query",
    [
        "state=sleeping",
        "from=yesterday",
        "from=2026-02-30",
        "bbox=1,2,3",
        "since=never",
        "since=2026-13-45T99:00",
        "street=abc",
        "after=x",
    ],
)
def test_bad_queries_are_400_with_the_error_body(city, query):
    r = client_for(city, "leader").get(f"/maps/api/cases.geojson?{query}")
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "invalid"


def test_cell_figures_shade_by_worst_light(city, make_case):
    a = make_case("dispatched")
    b = make_case("dispatched")
    Case.objects.filter(pk=b.pk).update(light="red")
    figures = client_for(city, "leader").get("/maps/api/cells.json").json()
    assert figures == {a.cell.code: {"open": 2, "worst": "red"}}


def test_grid_feed(city):
    body = client_for(city, "leader").get("/maps/api/grid.geojson").json()
    assert [f["properties"]["code"] for f in body["features"]] == ["62040200100101", "62040200100102"]
    assert client_for(city, "leader").get("/maps/api/grid.geojson?bbox=0,0,1,1").json()["features"] == []


def test_today_figures(city, make_case):
    from django.utils import timezone

    now = timezone.now()
    make_case("closed", now=now)
    make_case("registered", now=now)
    figures = client_for(city, "leader").get("/maps/api/today.json").json()
    assert figures["reported"] == 2 and figures["registered"] == 2 and figures["dispatched"] == 1
    assert figures["closed"] == 1 and figures["handled"] == 1 and figures["on_time_rate"] == 100.0


@pytest.mark.parametrize(
    ("username", "status"), [("leader", 200), ("dispatcher", 200), ("inspector1", 403), ("staff_huanwei", 403)]
)
def test_access_by_role(city, username, status):
    client = client_for(city, username)
    assert client.get("/maps/api/cases.geojson").status_code == status
    assert client.get("/maps/").status_code == status
    assert client.get("/maps/wall/").status_code == status
    assert client.get("/maps/hotspots/").status_code == status


def test_pages_load_no_cdn_asset(city, make_case):
    make_case("reported")
    for url in ["/maps/", "/maps/wall/", "/maps/hotspots/"]:
        html = client_for(city, "leader").get(url).content.decode()
        assert "cdn" not in html.lower() and "https://" not in html, url
        assert "/static/maps/vendor/leaflet/leaflet.js" in html


@time_machine.travel(T0 + timedelta(hours=1))  # the hot spots window counts back from now; cases are at T0
def test_hotspots_rank_cells_and_repeated_places(city, make_case):
    for _ in range(3):
        make_case("reported", address="人民路12号")
    make_case("reported", address="别处")
    html = client_for(city, "leader").get("/maps/hotspots/").content.decode()
    assert "人民路12号" in html and "别处" not in html.split('id="hot-places"')[1]
    assert "62040200100101" in html.split('id="hot-cells"')[1]


def test_the_layer_control_lists_cases_by_state_in_the_users_language(city, make_case):
    make_case("reported")
    client = client_for(city, "leader")
    import json

    def shown(label, html):  # folium writes layer names into its script, JSON-escaped
        return label in html or json.dumps(label)[1:-1] in html

    zh = client.get("/maps/").content.decode()
    assert all(shown(label, zh) for label in ["待受理 / 核实中", "处置中 / 挂账", "已办结"])
    en = client.get("/maps/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert shown("Being handled / suspended", en) and not shown("处置中 / 挂账", en)


@pytest.mark.parametrize("lang, name", [("zh-hans", "暴露垃圾"), ("en", "Exposed rubbish")])
def test_popup_feed_and_filters_name_categories_in_the_users_language(city, make_case, lang, name):
    from city.models import Category

    Category.objects.filter(name="暴露垃圾").update(name_en="Exposed rubbish")
    make_case("reported", address="人民路12号")
    client = client_for(city, "leader")
    body = client.get("/maps/api/cases.geojson", {"all": "1"}, HTTP_ACCEPT_LANGUAGE=lang).json()
    (feature,) = body["features"]
    assert feature["properties"]["category_name"] == name and feature["properties"]["address"] == "人民路12号"
    html = client.get("/maps/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    assert f"E0102 {name}</option>" in html  # the category filter
    config = json.loads(html.split('id="map-config" type="application/json">')[1].split("</script>")[0])
    assert config["category_names"]["E0102"] == name  # what the popups show
    hot = client.get("/maps/hotspots/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    assert f"E0102 {name}</option>" in hot


@pytest.mark.parametrize("lang, name", [("zh-hans", "暴露垃圾"), ("en", "Exposed rubbish")])
@time_machine.travel(T0 + timedelta(hours=1))  # the hot spots window counts back from now; cases are at T0
def test_hotspots_read_as_names_with_codes_on_hover(city, make_case, lang, name):
    from city.models import Category

    Category.objects.filter(name="暴露垃圾").update(name_en="Exposed rubbish")
    for _ in range(2):
        make_case("reported", address="")  # the address made from the point: area names and the code
    html = client_for(city, "leader").get("/maps/hotspots/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    cells = html.split('id="hot-cells"')[1].split("</table>")[0]
    assert f"{name} (2)" in cells
    assert '<td title="62040200100101">人民路街道 金鱼社区 01</td>' in cells
    places = html.split('id="hot-places"')[1].split("</table>")[0]
    assert '<td title="62040200100101">白银区 人民路街道 金鱼社区</td>' in places
    assert ">62040200100101<" not in html and "(62040200100101)" not in html


def test_the_column_feed_holds_every_case_in_one_request(city, make_case):
    cases = [make_case("reported"), make_case("dispatched"), make_case("closed", lng=104.17051, lat=36.54533)]
    Case.objects.filter(pk=cases[1].pk).update(light="red")
    body = client_for(city, "leader").get("/maps/api/cases.columns.json?all=1").json()
    assert body["count"] == 3 and body["truncated"] is False
    assert body["last_id"] == cases[-1].events.order_by("-id").first().id
    k = 1 / body["scale"]
    rows = {
        number: (
            body["origin"][0] + x * k,
            body["origin"][1] + y * k,
            body["states"][s],
            body["lights"][li],
            body["categories"][c],
        )
        for number, x, y, s, li, c in zip(
            body["number"], body["x"], body["y"], body["s"], body["l"], body["c"], strict=True
        )
    }
    for case in cases:
        case.refresh_from_db()
        lng, lat, state, light, category = rows[case.number]
        assert lng == pytest.approx(case.lng, abs=1e-6) and lat == pytest.approx(case.lat, abs=1e-6)
        assert (state, light, category) == (case.state, case.light, "E0102")
    assert rows[cases[1].number][3] == "red"


def test_the_column_feed_filters_like_the_others_and_refuses_bad_queries(city, make_case):
    open_case, _closed = make_case("dispatched"), make_case("closed")
    client = client_for(city, "leader")
    assert client.get("/maps/api/cases.columns.json?all=1&state=open").json()["number"] == [open_case.number]
    r = client.get("/maps/api/cases.columns.json?state=sleeping")
    assert r.status_code == 400 and r.json()["error"]["fields"] == {"state": "unknown"}


def test_the_compact_grid_decodes_to_the_cells_outlines(city):
    from city.models import GridCell

    body = client_for(city, "leader").get("/maps/api/grid.json").json()
    assert body["codes"] == ["62040200100101", "62040200100102"]
    assert [body["communities"][c] for c in body["community"]] == ["金鱼社区", "金鱼社区"]
    k = 1 / body["scale"]
    for code, rings in zip(body["codes"], body["rings"], strict=True):
        (flat,) = rings
        x = y = 0
        points = []
        for j in range(0, len(flat), 2):
            x, y = (flat[j], flat[j + 1]) if j == 0 else (x + flat[j], y + flat[j + 1])
            points.append([body["origin"][0] + x * k, body["origin"][1] + y * k])
        expected = GridCell.objects.get(code=code).geometry["coordinates"][0]
        assert points == [pytest.approx(p, abs=1e-6) for p in expected]


def test_areas_are_named_boundaries_and_places_are_labels(city):
    from city.models import Place

    Place.objects.create(name="金鱼公园", kind="park", lng=104.1702, lat=36.5451)
    client = client_for(city, "inspector1")  # any staff role: the consoles' maps may draw them
    areas = client.get("/maps/api/areas.geojson").json()["features"]
    assert {(f["properties"]["level"], f["properties"]["name"]) for f in areas} == {
        ("street", "人民路街道"),
        ("community", "金鱼社区"),
    }
    street = next(f for f in areas if f["properties"]["level"] == "street")
    # Around the two cells, not between them: one closed line round the rectangle they make.
    line = street["geometry"]["coordinates"]
    assert street["geometry"]["type"] == "LineString" and line[0] == line[-1] and len(line) == 5
    assert {round(p[0], 7) for p in line} == {104.1694408, 104.1716774}  # not the shared middle edge
    lng, lat = street["properties"]["label"]
    assert 104.169 < lng < 104.172 and 36.544 < lat < 36.546
    assert client.get("/maps/api/places.json").json() == {"places": [["金鱼公园", "park", 104.1702, 36.5451]]}


def test_the_grid_feeds_are_built_together_once_per_grid_version(city):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from city.models import GridCell

    client = client_for(city, "leader")

    def grid_reads(url):
        with CaptureQueriesContext(connection) as seen:
            body = client.get(url).json()
        return body, sum('FROM "city_gridcell"' in q["sql"] for q in seen.captured_queries)

    compact, reads = grid_reads("/maps/api/grid.json")
    assert reads == 1
    areas, reads = grid_reads("/maps/api/areas.geojson")  # built with the outlines, by that one read
    assert reads == 0 and {f["properties"]["name"] for f in areas["features"]} == {"人民路街道", "金鱼社区"}
    # A changed grid is a new version: both feeds are made again, from one read.
    cell = GridCell.objects.get(code="62040200100102")
    cell.geometry = {**cell.geometry, "coordinates": [[[x + 0.001, y] for x, y in cell.geometry["coordinates"][0]]]}
    cell.save()
    areas, reads = grid_reads("/maps/api/areas.geojson")
    assert reads == 1
    again, reads = grid_reads("/maps/api/grid.json")
    assert reads == 0 and again != compact


def test_locate_finds_a_case_by_number_whatever_the_filter(city, make_case):
    case = make_case("closed")
    client = client_for(city, "dispatcher")
    body = client.get("/maps/api/locate.json", {"number": case.number.lower()}).json()
    assert body["number"] == case.number and body["state"] == "closed" and body["lng"] == case.lng
    missing = client.get("/maps/api/locate.json", {"number": "E0000000000000000"})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    for bad in ["", "人民路", "E01\x00", "x" * 200]:
        r = client.get("/maps/api/locate.json", {"number": bad})
        assert r.status_code == 400, bad
    assert client_for(city, "inspector1").get("/maps/api/locate.json", {"number": case.number}).status_code == 403


def test_every_state_is_in_exactly_one_stage_layer():
    from dispatch.models import State
    from maps.builder import STATE_LAYERS

    listed = [s for _key, _label, states in STATE_LAYERS for s in states]
    assert sorted(listed) == sorted(State.values)


def test_the_state_filter_is_a_checkbox_per_state_named_in_the_users_language(city):
    from dispatch.models import State

    html = client_for(city, "leader").get("/maps/?state=registered&state=dispatched").content.decode()
    for value, label in State.choices:
        checked = " checked" if value in ("registered", "dispatched") else ""
        assert f'<input type="checkbox" name="state" value="{value}"{checked}> {label}</label>' in html
    en = client_for(city, "leader").get("/maps/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<input type="checkbox" name="state" value="checked"> To close</label>' in en


def test_the_column_feed_is_served_gzipped_from_the_cache_to_browsers_that_take_it(city, make_case):
    import gzip

    make_case("reported")
    client = client_for(city, "leader")
    plain = client.get("/maps/api/cases.columns.json?all=1")
    zipped = client.get("/maps/api/cases.columns.json?all=1", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert zipped["Content-Encoding"] == "gzip" and "Accept-Encoding" in zipped["Vary"]
    assert gzip.decompress(zipped.content) == plain.content and "Content-Encoding" not in plain
