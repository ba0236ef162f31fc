"""The grid as the maps draw it (city.outlines): outlines and named boundaries, checked against
shapely's own union of each area's cells."""

import pytest
import shapely

from city import outlines
from city.models import Community, District, GridCell, Street


def square(x, y, size=0.001):
    x, y, x2, y2 = (round(v, 7) for v in (x, y, x + size, y + size))  # shared edges share their vertices
    return [[x, y], [x2, y], [x2, y2], [x, y2], [x, y]]


def cell(community, code, geometry):
    return GridCell.objects.create(
        community=community, code=code, geometry=geometry, area_m2=1.0,
        min_lng=0, min_lat=0, max_lng=0, max_lat=0, center_lng=0, center_lat=0,
    )  # fmt: skip


@pytest.fixture
def grid(db):
    """3×3 cells: the left column in 西社区, the rest in 东社区, one street; plus a cell that is two
    separate squares (a MultiPolygon) in 西社区 and a cell whose geometry is a point (drawn as nothing)."""
    district = District.objects.create(code="620402", name="白银区")
    street = Street.objects.create(district=district, code="620402001", name="人民路街道")
    west = Community.objects.create(street=street, code="620402001001", name="西社区")
    east = Community.objects.create(street=street, code="620402001002", name="东社区")
    k = 0
    for i in range(3):
        for j in range(3):
            k += 1
            x, y = 104.17 + i * 0.001, 36.54 + j * 0.001
            made = cell(
                west if i == 0 else east, f"620402001001{k:02d}", {"type": "Polygon", "coordinates": [square(x, y)]}
            )
            made.center_lng, made.center_lat = x + 0.0005, y + 0.0005
            made.save()
    far = {"type": "MultiPolygon", "coordinates": [[square(104.18, 36.54)], [square(104.182, 36.54)]]}
    cell(west, "62040200100190", far)
    cell(west, "62040200100191", {"type": "Point", "coordinates": [104.17, 36.54]})
    return west, east


def test_each_areas_boundary_is_the_outline_of_its_cells_union(grid):
    features = outlines.areas()["features"]
    assert [(f["properties"]["level"], f["properties"]["name"]) for f in features] == [
        ("community", "西社区"), ("community", "东社区"), ("street", "人民路街道"),
    ]  # fmt: skip
    by_code = {}
    for c in GridCell.objects.select_related("community__street"):
        shape = shapely.geometry.shape(c.geometry)
        if shape.geom_type in ("Polygon", "MultiPolygon"):
            by_code.setdefault(c.community.code, []).append(shape)
            by_code.setdefault(c.community.street.code, []).append(shape)
    for f in features:
        drawn = shapely.geometry.shape(f["geometry"])
        union = shapely.union_all(by_code[f["properties"]["code"]])
        assert drawn.equals(union.boundary), f["properties"]
    west = features[0]
    assert west["geometry"]["type"] == "MultiLineString"  # the column and the two far squares
    # The label is on a cell of the area, the one nearest its middle.
    lng, lat = features[1]["properties"]["label"]
    assert lng in (104.1715, 104.1725) and lat == 36.5415  # the middle column's middle cells tie


def test_compact_cells_decode_to_every_cells_rings_and_skip_what_is_not_a_polygon(grid):
    body = outlines.compact_cells()
    assert body["codes"] == sorted(GridCell.objects.values_list("code", flat=True))
    assert body["communities"] == ["西社区", "东社区"]
    k = 1 / body["scale"]
    for code, rings in zip(body["codes"], body["rings"], strict=True):
        geometry = GridCell.objects.get(code=code).geometry
        expected = {"Polygon": [geometry["coordinates"][0]] if geometry["type"] == "Polygon" else None}.get(
            geometry["type"], [p[0] for p in geometry["coordinates"]] if geometry["type"] == "MultiPolygon" else []
        )
        decoded = []
        for flat in rings:
            x = y = 0
            points = []
            for j in range(0, len(flat), 2):
                x, y = (flat[j], flat[j + 1]) if j == 0 else (x + flat[j], y + flat[j + 1])
                points.append([body["origin"][0] + x * k, body["origin"][1] + y * k])
            decoded.append(points)
        assert len(decoded) == len(expected), code
        for got, ring in zip(decoded, expected, strict=True):
            assert got == [pytest.approx(p, abs=1e-6) for p in ring]


def test_an_empty_grid_draws_nothing(db):
    compact, named = outlines.both()
    assert compact["codes"] == [] and compact["rings"] == []
    assert named == {"type": "FeatureCollection", "features": []}
