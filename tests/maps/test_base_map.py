"""The base map: tiles served from an MBTiles file (ETag, 304, 404, bad input), the settings that
build the tile layer (a tile service with its key, MBTiles, the coordinate system), and the
system check on MAP_TILES_MBTILES."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client, override_settings

from city import basemap
from maps.checks import base_map_settings
from tests.maps.mbtiles import make_mbtiles, png

RED, BLUE = png((220, 30, 30)), png((30, 30, 220))


@pytest.fixture
def mbtiles(tmp_path):
    # (z, x, y) in XYZ (rows from the north); the file stores rows from the south.
    path = make_mbtiles(
        tmp_path / "city.mbtiles", {(2, 1, 0): RED, (2, 1, 3): BLUE}, minzoom=2, maxzoom=2, attribution="测绘院"
    )
    with override_settings(MAP_TILES_MBTILES=path):
        yield path


def test_a_tile_comes_from_the_file_with_rows_counted_from_the_north(mbtiles):
    client = Client()  # no login: the public report page draws on the same base map
    r = client.get("/maps/tiles/2/1/0.png")
    assert r.status_code == 200 and r["Content-Type"] == "image/png"
    assert r.content == RED  # stored at TMS row 3
    assert client.get("/maps/tiles/2/1/3.png").content == BLUE
    assert r["ETag"].startswith('"') and "public" in r["Cache-Control"] and "max-age=3600" in r["Cache-Control"]


def test_etag_answers_304_without_the_body(mbtiles):
    client = Client()
    etag = client.get("/maps/tiles/2/1/0.png")["ETag"]
    for header in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        r = client.get("/maps/tiles/2/1/0.png", HTTP_IF_NONE_MATCH=header)
        assert r.status_code == 304 and r.content == b"" and r["ETag"] == etag
    assert client.get("/maps/tiles/2/1/0.png", HTTP_IF_NONE_MATCH='"other"').status_code == 200
    # Another tile, another tag.
    assert client.get("/maps/tiles/2/1/3.png")["ETag"] != etag


@pytest.mark.parametrize(
    "url",
    [
        "/maps/tiles/2/0/0.png",  # not in the file
        "/maps/tiles/2/4/0.png",  # x outside the pyramid at z=2
        "/maps/tiles/2/1/4.png",
        "/maps/tiles/31/0/0.png",  # deeper than any survey
        "/maps/tiles/99999999999999999999999/0/0.png",
        "/maps/tiles/2/99999999999999999999999/0.png",
        "/maps/tiles/-1/0/0.png",
        "/maps/tiles/a/b/c.png",
        "/maps/tiles/2/1/0.jpg",
    ],
)
def test_missing_or_bad_tiles_are_404(mbtiles, url):
    assert Client().get(url).status_code == 404


def test_a_nul_in_the_path_is_bad_input(mbtiles):
    assert Client().get("/maps/tiles/2/1/0%00.png").status_code == 400  # citymgmt.middleware, for any path


def test_only_get_and_head(mbtiles):
    client = Client()
    assert client.head("/maps/tiles/2/1/0.png").status_code == 200
    assert client.post("/maps/tiles/2/1/0.png").status_code == 405


def test_no_file_a_missing_file_or_not_mbtiles_is_404_not_an_error(tmp_path):
    client = Client()
    assert client.get("/maps/tiles/2/1/0.png").status_code == 404  # not configured
    with override_settings(MAP_TILES_MBTILES=str(tmp_path / "gone.mbtiles")):
        assert client.get("/maps/tiles/2/1/0.png").status_code == 404
    junk = tmp_path / "junk.mbtiles"
    junk.write_bytes(b"this is not sqlite" * 100)
    with override_settings(MAP_TILES_MBTILES=str(junk)):
        assert client.get("/maps/tiles/2/1/0.png").status_code == 404


def test_a_replaced_file_is_read_again(tmp_path):
    path = tmp_path / "city.mbtiles"
    make_mbtiles(path, {(2, 1, 0): RED})
    client = Client()
    with override_settings(MAP_TILES_MBTILES=str(path)):
        assert client.get("/maps/tiles/2/1/0.png").content == RED
        path.unlink()
        make_mbtiles(path, {(2, 1, 0): BLUE, (2, 2, 2): RED})
        assert client.get("/maps/tiles/2/1/0.png").content == BLUE


def test_the_maps_use_the_mbtiles_with_its_zoom_range_and_attribution(mbtiles, db):
    spec = basemap.tiles()
    assert spec["url"] == "/maps/tiles/{z}/{x}/{y}.png"
    assert spec["attribution"] == "测绘院"
    assert spec["options"]["minNativeZoom"] == 2 and spec["options"]["maxNativeZoom"] == 2
    with override_settings(MAP_TILES_ATTRIBUTION="© 白银市自然资源局"):
        assert basemap.tiles()["attribution"] == "© 白银市自然资源局"


TIANDITU = (
    "https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec&STYLE=default"
    "&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk="
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (TIANDITU, TIANDITU + "k123"),
        ("https://tiles.city/{z}/{x}/{y}.png?key={key}", "https://tiles.city/{z}/{x}/{y}.png?key=k123"),
        ("https://gis.city/wmts?tk=&TILEMATRIX={z}", "https://gis.city/wmts?tk=k123&TILEMATRIX={z}"),
        ("https://tiles.city/{z}/{x}/{y}.png", "https://tiles.city/{z}/{x}/{y}.png"),
    ],
)
def test_the_key_goes_into_the_tile_template(url, expected):
    assert basemap.with_key(url, "k123") == expected


@override_settings(
    MAP_TILES_URL=TIANDITU,
    MAP_TILES_LABELS_URL=TIANDITU.replace("vec", "cva"),
    MAP_TILES_KEY="k123",
    MAP_TILES_SUBDOMAINS="01234567",
    MAP_TILES_ATTRIBUTION="天地图",
)
def test_a_tile_service_with_labels_and_subdomains(db):
    config = basemap.map_config()
    assert config["tiles"].endswith("tk=k123") and config["attribution"] == "天地图"
    assert config["tile_options"]["subdomains"] == "01234567"
    labels = config["labels"]["url"]
    assert labels.startswith("https://t{s}.tianditu.gov.cn/cva_w/") and "tk=k123" in labels
    assert config["crs"] == "wgs84"
    with override_settings(MAP_TILES_CRS="GCJ-02"):
        assert basemap.map_config()["crs"] == "gcj02"


def test_check_warns_when_the_mbtiles_file_is_missing_or_not_raster(tmp_path):
    assert base_map_settings() == []
    with override_settings(MAP_TILES_MBTILES=str(tmp_path / "nowhere.mbtiles")):
        [warning] = base_map_settings()
        assert warning.id == "maps.W001" and "nowhere.mbtiles" in warning.msg
    vector = make_mbtiles(tmp_path / "vector.mbtiles", {}, format="pbf")
    with override_settings(MAP_TILES_MBTILES=vector):
        assert [w.id for w in base_map_settings()] == ["maps.W001"]
    good = make_mbtiles(tmp_path / "good.mbtiles", {(0, 0, 0): RED})
    with override_settings(MAP_TILES_MBTILES=good):
        assert base_map_settings() == []


def test_check_deploy_reports_it_and_refuses_an_unknown_crs(tmp_path, capsys):
    with override_settings(MAP_TILES_MBTILES=str(tmp_path / "nowhere.mbtiles")):
        call_command("check", "--deploy", "--tag", "maps")
    assert "maps.W001" in capsys.readouterr().err
    with override_settings(MAP_TILES_CRS="bd09"), pytest.raises(SystemCheckError, match=r"maps\.E001"):
        call_command("check", "--tag", "maps")
