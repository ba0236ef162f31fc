"""Categories (tree, ETag/304) and grid locate (WGS-84, GCJ-02, outside the city)."""

import pytest

from city.coords import wgs84_to_gcj02
from city.models import Category, Place, TimeLimit
from tests.conftest import CELL_W, LAT, LNG


def test_category_tree_with_time_limits(api, city):
    r = api("inspector1").get("/api/v1/categories")
    assert r.status_code == 200
    kinds = {k["kind"]: k for k in r.json()["kinds"]}
    assert set(kinds) == {"component", "event"}
    (major,) = kinds["event"]["majors"]
    assert major["code"] == "01" and major["name"] == "市容环境"
    (rubbish,) = major["categories"]
    assert rubbish["code"] == "E0102" and rubbish["name"] == "暴露垃圾"
    limits = {(t["stage"], t["urgency"]): (t["amount"], t["unit"]) for t in rubbish["time_limits"]}
    assert limits[("handle", "normal")] == (4, "work_hours")
    assert limits[("handle", "urgent")] == (2, "work_hours")
    assert len(limits) == 10


def test_etag_gives_304_until_the_categories_change(api, city):
    client = api("inspector1")
    first = client.get("/api/v1/categories")
    etag = first["ETag"]
    assert etag.startswith('"') and len(etag) > 10
    again = client.get("/api/v1/categories", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    assert client.get("/api/v1/categories", HTTP_IF_NONE_MATCH='"other", ' + etag).status_code == 304
    TimeLimit.objects.filter(category=city.categories["rubbish"], stage="handle", urgency="normal").update(amount=6)
    changed = client.get("/api/v1/categories", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    Category.objects.filter(pk=city.categories["manhole"].pk).update(active=False)
    assert client.get("/api/v1/categories", HTTP_IF_NONE_MATCH=changed["ETag"]).status_code == 200


def test_categories_need_a_token(api, city):
    assert api().get("/api/v1/categories").status_code == 401


def test_locate_wgs84(api, city):
    r = api("inspector1").get("/api/v1/grid/locate", {"lng": LNG + CELL_W, "lat": LAT})
    assert r.status_code == 200
    assert r.json() == {
        "address": "白银区 人民路街道 金鱼社区 (62040200100102)",
        "place": None,
        "cell": {"code": "62040200100102", "name": "62040200100102"},
        "community": {"code": "620402001001", "name": "金鱼社区"},
        "street": {"code": "620402001", "name": "人民路街道"},
        "district": {"code": "620402", "name": "白银区"},
    }


def test_locate_gcj02(api, city):
    g_lng, g_lat = wgs84_to_gcj02(LNG, LAT)
    r = api("inspector1").get("/api/v1/grid/locate", {"lng": g_lng, "lat": g_lat, "crs": "gcj02"})
    assert r.json()["cell"]["code"] == "62040200100101"
    # The same numbers read as WGS-84 land hundreds of metres away: outside this tiny city.
    assert api("inspector1").get("/api/v1/grid/locate", {"lng": g_lng, "lat": g_lat}).status_code == 404


def test_outside_the_city_is_404(api, city):
    r = api("inspector1").get("/api/v1/grid/locate", {"lng": 116.4, "lat": 39.9})
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "query", [{}, {"lng": "x", "lat": 1}, {"lng": 200, "lat": 1}, {"lng": 1, "lat": 1, "crs": "bd09"}]
)
def test_bad_locate_queries_are_400(api, city, query):
    r = api("inspector1").get("/api/v1/grid/locate", query)
    assert r.status_code == 400
    assert r.json()["error"]["fields"]


def test_schema_and_docs_are_served_without_login(client, db):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in [
        "/api/v1/auth/token", "/api/v1/me", "/api/v1/categories", "/api/v1/grid/locate", "/api/v1/cases",
        "/api/v1/cases/{number}", "/api/v1/cases/{number}/actions/{action}", "/api/v1/tasks", "/api/v1/positions",
    ]:  # fmt: skip
        assert path in paths, path
    report = paths["/api/v1/cases"]["post"]
    assert {"201", "200", "400", "401", "403", "409", "413", "415"} <= set(report["responses"])
    assert "multipart/form-data" in report["requestBody"]["content"]
    assert any(p["name"] == "Idempotency-Key" for p in report["parameters"])
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    # Swagger UI comes from our static files: no absolute URL to another host (a hashed file
    # name may contain any letters, so look for hosts, not words).
    assert b"https://" not in docs.content and b"http://" not in docs.content and b"//cdn" not in docs.content
    assert b"/static/drf_spectacular_sidecar/" in docs.content


def test_unknown_api_paths_answer_json_not_html(api, city, client):
    r = api("inspector1").get("/api/v1/nothing-here")
    assert r.status_code == 404 and r["Content-Type"] == "application/json"
    assert r.json()["error"]["code"] == "not_found"
    assert api("inspector1").get("/api/v1/photos/-1").json()["error"]["code"] == "not_found"
    # Pages outside /api/ keep Django's HTML 404.
    assert client.get("/no-such-page/")["Content-Type"].startswith("text/html")


def test_locate_names_the_nearest_gazetteer_place(api, city):
    Place.objects.create(name="金鱼公园", kind="park", lng=LNG + 0.0005, lat=LAT)  # ≈ 45 m east
    r = api("inspector1").get("/api/v1/grid/locate", {"lng": LNG, "lat": LAT})
    assert r.json()["address"] == "金鱼公园 附近"
    assert r.json()["place"]["name"] == "金鱼公园" and 40 < r.json()["place"]["distance_m"] < 50
    assert r.json()["cell"]["code"] == "62040200100101"
