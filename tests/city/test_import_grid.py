"""city.importers.grid, the import_grid command and the demo grid."""

import copy
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from city import grid
from city.demo.grid import demo_grid_features, synthetic_grid_features
from city.importers import DataFileError
from city.importers.grid import area_m2, import_grid
from city.models import Community, District, GridCell, Street

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_index():
    grid.invalidate()
    yield
    grid.invalidate()


@pytest.fixture(scope="module")
def demo():
    return demo_grid_features()


def as_file(data) -> io.StringIO:
    return io.StringIO(json.dumps(data, ensure_ascii=False))


def small(n=4) -> dict:
    """The first `n` demo cells (one community)."""
    fc = demo_grid_features(cols=10, rows=9)
    fc["features"] = fc["features"][:n]
    return fc


def counts():
    return (District.objects.count(), Street.objects.count(), Community.objects.count(), GridCell.objects.count())


# ---------------------------------------------------------------------------------------------- the demo grid


def test_demo_features_shape(demo):
    feats = demo["features"]
    assert demo["type"] == "FeatureCollection"
    assert len(feats) == 2250
    codes = [f["properties"]["code"] for f in feats]
    assert len(set(codes)) == 2250
    assert all(len(c) == 14 and c.isdigit() and c.startswith("620402") for c in codes)
    assert {c[6:9] for c in codes} == {"001", "002", "003", "004", "005"}
    assert {int(c[12:]) for c in codes} == set(range(1, 91))
    community_names = {f["properties"]["community_name"] for f in feats}
    assert len(community_names) == 25
    streets = {c[:9]: f["properties"]["street_name"] for c, f in zip(codes, feats, strict=True)}
    assert streets == {
        "620402001": "人民路街道",
        "620402002": "公园路街道",
        "620402003": "四龙路街道",
        "620402004": "工农路街道",
        "620402005": "纺织路街道",
    }
    assert {f["properties"]["district_name"] for f in feats} == {"白银区"}


def test_demo_import(demo):
    summary = import_grid(as_file(demo))
    assert summary["cells_created"] == 2250
    assert counts() == (1, 5, 25, 2250)
    assert District.objects.get().name == "白银区"
    assert list(Street.objects.values_list("name", flat=True)) == [
        "人民路街道",
        "公园路街道",
        "四龙路街道",
        "工农路街道",
        "纺织路街道",
    ]
    assert not GridCell.objects.exclude(code__startswith="620402").exists()
    for street in Street.objects.all():
        assert street.communities.count() == 5
        for community in street.communities.all():
            assert community.code.startswith(street.code)
            assert community.cells.count() == 90
            assert not community.cells.exclude(code__startswith=community.code).exists()
    for cell in GridCell.objects.all():
        assert 9000 <= cell.area_m2 <= 11000, (cell.code, cell.area_m2)
        assert cell.min_lng < cell.center_lng < cell.max_lng
        assert cell.min_lat < cell.center_lat < cell.max_lat
    # The extent: about 5 km × 4.5 km around 36.545°N 104.17°E.
    cell = GridCell.objects.order_by("min_lng", "min_lat").first()
    assert cell.min_lng == pytest.approx(104.17 - 25 * 0.0011181, abs=1e-5)
    assert cell.min_lat == pytest.approx(36.545 - 22.5 * 0.000899, abs=1e-6)
    # And the index finds the cells.
    info = grid.locate(cell.center_lng, cell.center_lat)
    assert info.cell_code == cell.code and info.district_name == "白银区"


def test_reimport_is_idempotent(demo):
    import_grid(as_file(demo))
    before = list(GridCell.objects.order_by("code").values())
    summary = import_grid(as_file(demo))
    assert summary["cells_created"] == summary["cells_updated"] == 0
    assert summary["cells_unchanged"] == 2250
    assert summary["districts_created"] == summary["streets_created"] == summary["communities_created"] == 0
    assert counts() == (1, 5, 25, 2250)
    assert list(GridCell.objects.order_by("code").values()) == before


def test_reimport_updates_changed_cells_and_names(tmp_path):
    fc = small()
    import_grid(as_file(fc))
    fc["features"][0]["properties"]["community_name"] = "新金鱼社区"
    for f in fc["features"]:
        f["properties"]["community_name"] = "新金鱼社区"
    ring = fc["features"][1]["geometry"]["coordinates"][0]
    ring[2] = [ring[2][0] + 0.0001, ring[2][1]]
    path = tmp_path / "grid.geojson"
    path.write_text(json.dumps(fc), encoding="utf-8")
    summary = import_grid(path)
    assert summary["cells_updated"] == 1 and summary["cells_unchanged"] == 3
    assert summary["communities_updated"] == 1
    assert Community.objects.get().name == "新金鱼社区"
    code = fc["features"][1]["properties"]["code"]
    assert GridCell.objects.get(code=code).geometry["coordinates"][0][2] == ring[2]


def test_synthetic_grid_codes():
    fc = synthetic_grid_features(2500, streets_per_district=2)
    codes = [f["properties"]["code"] for f in fc["features"]]
    assert len(codes) == len(set(codes)) == 2500
    assert all(len(c) == 14 and c.isdigit() for c in codes)
    assert len({c[:6] for c in codes}) == 3  # 50 columns: 5 streets, 2 per district
    summary = import_grid(as_file(fc))
    assert summary["cells_created"] == 2500 and summary["districts"] == 3


def test_area_of_a_known_square():
    import shapely

    # 0.01° × 0.01° at the equator: 1113.2 m × 1105.7 m on the WGS-84 ellipsoid.
    poly = shapely.box(0, -0.005, 0.01, 0.005)
    assert area_m2(poly) == pytest.approx(1113.19 * 1105.75, rel=1e-3)


# ---------------------------------------------------------------------------------------------- bad files


def bad_feature(kind: str) -> dict:
    f = copy.deepcopy(small(1)["features"][0])
    f["properties"]["code"] = "62040200100199"
    ring = f["geometry"]["coordinates"][0]
    if kind == "geometry_type":
        f["geometry"] = {"type": "Point", "coordinates": ring[0]}
    elif kind == "self_intersecting":  # a bow tie
        (a, _b, c, d, _) = ring
        f["geometry"]["coordinates"] = [[a, c, [c[0], a[1]], d, a]]
    elif kind == "bad_code":
        f["properties"]["code"] = "6204020010019X"
    elif kind == "short_code":
        f["properties"]["code"] = "6204020010019"
    elif kind == "out_of_range":
        ring[1] = [184.2, ring[1][1]]
    elif kind == "lat_out_of_range":
        ring[2] = [ring[2][0], 91.0]
    elif kind == "no_name":
        del f["properties"]["street_name"]
    elif kind == "unclosed":
        ring.pop()
    return f


BAD_KINDS = {
    "geometry_type": "must be a Polygon or MultiPolygon",
    "self_intersecting": "Self-intersection",
    "bad_code": "bad code",
    "short_code": "bad code",
    "out_of_range": "out of range",
    "lat_out_of_range": "out of range",
    "no_name": "street_name",
    "unclosed": "not closed",
}


@pytest.mark.parametrize("kind", list(BAD_KINDS))
@pytest.mark.parametrize("position", ["first", "last"])
def test_bad_feature_rejected_and_nothing_written(kind, position):
    good = small(6)
    import_grid(as_file(small(2)))  # something already there: it must stay exactly as it is
    before = counts()
    feats = good["features"]
    bad = bad_feature(kind)
    good["features"] = [bad, *feats] if position == "first" else [*feats, bad]
    index = 0 if position == "first" else len(feats)
    with pytest.raises(DataFileError) as exc:
        import_grid(as_file(good))
    assert len(exc.value.problems) == 1, exc.value.problems
    problem = exc.value.problems[0]
    assert problem.startswith(f"feature {index} ("), problem
    assert repr(bad["properties"].get("code"))[1:-1] in problem
    assert BAD_KINDS[kind] in problem
    assert counts() == before


def test_duplicate_code_names_both_features():
    fc = small(5)
    fc["features"].append(copy.deepcopy(fc["features"][2]))
    with pytest.raises(DataFileError) as exc:
        import_grid(as_file(fc))
    code = fc["features"][2]["properties"]["code"]
    assert exc.value.problems == [f"feature 5 (code {code!r}): duplicate code: feature 2 has the same code"]
    assert counts() == (0, 0, 0, 0)


def test_every_problem_is_reported_at_once():
    fc = small(3)
    fc["features"] += [bad_feature("bad_code"), bad_feature("geometry_type"), bad_feature("self_intersecting")]
    fc["features"][-1]["properties"]["code"] = "62040200100198"
    fc["features"][2]["properties"]["district_name"] = "平川区"  # conflicts with the others' name
    with pytest.raises(DataFileError) as exc:
        import_grid(as_file(fc))
    problems = exc.value.problems
    assert [p.split(" (")[0] for p in problems] == ["feature 2", "feature 3", "feature 4", "feature 5"]
    assert "differs from" in problems[0] and "平川区" in problems[0] and "by feature 0" in problems[0]
    assert counts() == (0, 0, 0, 0)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"type": "FeatureCollection", "features": [', "not valid JSON"),
        ("", "not valid JSON"),
        ('{"type": "FeatureCollection", "features": [{"type": "Feature", "x": NaN}]}', "not valid JSON"),
        ('{"type": "Feature"}', "not a GeoJSON FeatureCollection"),
        ("[1, 2]", "not a GeoJSON FeatureCollection"),
        ('{"type": "FeatureCollection"}', '"features"'),
        ('{"type": "FeatureCollection", "features": []}', "no features"),
        ('{"type": "FeatureCollection", "features": [7]}', "feature 0 (no code): not a GeoJSON Feature"),
    ],
)
def test_not_geojson(content, message):
    with pytest.raises(DataFileError) as exc:
        import_grid(io.StringIO(content))
    assert message in exc.value.problems[0]
    assert counts() == (0, 0, 0, 0)


def test_multipolygon_and_bytes_input():
    fc = small(1)
    f = fc["features"][0]
    f["geometry"] = {"type": "MultiPolygon", "coordinates": [f["geometry"]["coordinates"]]}
    summary = import_grid(io.BytesIO(json.dumps(fc).encode("utf-8")))
    assert summary["cells_created"] == 1
    assert GridCell.objects.get().geometry["type"] == "MultiPolygon"


def test_tiny_and_huge_cells_are_not_errors():
    fc = small(2)
    r = fc["features"][0]["geometry"]["coordinates"][0]
    x, y = r[0]
    fc["features"][0]["geometry"]["coordinates"] = [
        [[x, y], [x + 1e-5, y], [x + 1e-5, y + 1e-5], [x, y + 1e-5], [x, y]]
    ]
    fc["features"][1]["geometry"]["coordinates"] = [[[x, y], [x + 1, y], [x + 1, y + 1], [x, y + 1], [x, y]]]
    import_grid(as_file(fc))
    areas = sorted(GridCell.objects.values_list("area_m2", flat=True))
    assert areas[0] < 2 and areas[1] > 5e9


# ---------------------------------------------------------------------------------------------- the command


def test_command_imports_and_prints_summary(tmp_path):
    path = tmp_path / "grid.geojson"
    path.write_text(json.dumps(small(4), ensure_ascii=False), encoding="utf-8")
    out = io.StringIO()
    call_command("import_grid", str(path), stdout=out)
    assert "4 cells (4 new" in out.getvalue()
    assert GridCell.objects.count() == 4


def test_command_fails_with_every_problem_on_stderr(tmp_path):
    fc = small(3)
    fc["features"] += [bad_feature("bad_code"), bad_feature("out_of_range")]
    fc["features"][-1]["properties"]["code"] = "62040200100198"
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps(fc), encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("import_grid", str(path), stderr=err)
    assert "2 problem(s)" in str(exc.value)
    lines = err.getvalue().strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("feature 3 (code '6204020010019X')") and "bad code" in lines[0]
    assert lines[1].startswith("feature 4 (code '62040200100198')") and "out of range" in lines[1]
    assert counts() == (0, 0, 0, 0)


def test_command_exits_non_zero(tmp_path):
    """Run as a real process: exit status 1, problems on stderr."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    path = tmp_path / "bad.geojson"
    path.write_text("{not json", encoding="utf-8")
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    proc = subprocess.run(
        [sys.executable, str(root / "manage.py"), "import_grid", str(path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        timeout=120,
    )
    assert proc.returncode != 0
    assert "not valid JSON" in proc.stderr
    assert "nothing was imported" in proc.stderr


def test_command_missing_file(tmp_path):
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_grid", str(tmp_path / "nope.geojson"), stderr=err)
    assert "cannot read the file" in err.getvalue()
