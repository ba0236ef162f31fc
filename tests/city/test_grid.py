"""city.grid (point → cell) and city.coords (GCJ-02 ↔ WGS-84)."""

import math
import random

import pytest
from django.core.cache import cache

from city import coords, grid
from city.models import Community, District, GridCell, Street

X0, Y0 = 104.17, 36.545
W, H = 0.0011183, 0.000899


def block(col, row):
    """The square of column `col`, row `row`: neighbours share exactly the same vertex floats."""
    x0, y0, x1, y1 = X0 + col * W, Y0 + row * H, X0 + (col + 1) * W, Y0 + (row + 1) * H
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def add_cell(community, code, col, row, geometry=None):
    x, y = X0 + col * W, Y0 + row * H
    return GridCell.objects.create(
        community=community,
        code=code,
        geometry=geometry or block(col, row),
        area_m2=10000,
        min_lng=x,
        min_lat=y,
        max_lng=x + W,
        max_lat=y + H,
        center_lng=x + W / 2,
        center_lat=y + H / 2,
    )


@pytest.fixture(autouse=True)
def fresh_index():
    grid.invalidate()
    yield
    grid.invalidate()  # the test's rows are rolled back without signals


@pytest.fixture
def community(db):
    district = District.objects.create(code="620402", name="白银区")
    street = Street.objects.create(district=district, code="620402001", name="人民路街道")
    return Community.objects.create(street=street, code="620402001001", name="金鱼社区")


@pytest.fixture
def two_by_two(community):
    """Cells of a 2×2 block; codes deliberately not in reading order."""
    return {
        (0, 0): add_cell(community, "62040200100103", 0, 0),
        (1, 0): add_cell(community, "62040200100102", 1, 0),
        (0, 1): add_cell(community, "62040200100104", 0, 1),
        (1, 1): add_cell(community, "62040200100101", 1, 1),
    }


def code_at(lng, lat):
    info = grid.locate(lng, lat)
    return info.cell_code if info else None


def test_locate_inside_gives_cell_and_hierarchy(two_by_two):
    info = grid.locate(X0 + 0.3 * W, Y0 + 0.6 * H)
    assert info == grid.CellInfo(
        cell_id=two_by_two[0, 0].pk,
        cell_code="62040200100103",
        community_code="620402001001",
        street_code="620402001",
        district_code="620402",
        community_name="金鱼社区",
        street_name="人民路街道",
        district_name="白银区",
    )
    assert code_at(X0 + 1.5 * W, Y0 + 1.5 * H) == "62040200100101"
    assert code_at(X0 + 1.9 * W, Y0 + 0.1 * H) == "62040200100102"


def test_outside_every_cell_is_none(two_by_two):
    for lng, lat in [
        (X0 - 0.0001, Y0 + H),
        (X0 + 2 * W + 1e-7, Y0 + H),
        (X0 + W, Y0 + 2 * H + 1e-7),
        (X0 + W, Y0 - 1e-7),
        (0.0, 0.0),
        (-180.0, 90.0),
        (math.nan, Y0 + H),
        (X0 + W, math.inf),
    ]:
        assert grid.locate(lng, lat) is None, (lng, lat)


def test_empty_grid_locates_nothing(db):
    assert grid.locate(X0, Y0) is None
    assert grid.locate_many([(X0, Y0)]) == [None]


def test_shared_edge_goes_to_the_smallest_code_every_time(two_by_two):
    # The vertical edge between (0,0) "…03" and (1,0) "…02": both cover it; "…02" is smaller.
    edge_x = X0 + W
    for _ in range(3):
        assert code_at(edge_x, Y0 + 0.5 * H) == "62040200100102"
    # The horizontal edge between (0,0) "…03" and (0,1) "…04": "…03".
    assert code_at(X0 + 0.5 * W, Y0 + H) == "62040200100103"
    # Each cell's own outer edges belong to it.
    assert code_at(X0, Y0 + 0.5 * H) == "62040200100103"
    assert code_at(X0 + 2 * W, Y0 + 1.5 * H) == "62040200100101"


def test_corner_shared_by_four_goes_to_the_smallest_code(two_by_two):
    corner = (X0 + W, Y0 + H)
    answers = {code_at(*corner) for _ in range(5)}
    assert answers == {"62040200100101"}
    # The documented rule, checked against shapely directly.
    covering = [c.code for c in two_by_two.values() if _covers(c.geometry, *corner)]
    assert len(covering) == 4
    assert min(covering) == "62040200100101"


def _covers(geometry, lng, lat):
    import shapely

    return shapely.geometry.shape(geometry).covers(shapely.Point(lng, lat))


def test_regular_grid_edges_and_vertices_follow_the_rule(community):
    """Every vertex and edge midpoint of a 6×5 block: the smallest covering code, always."""
    codes = {}
    n = 0
    for col in range(6):
        for row in range(5):
            n += 1
            codes[col, row] = f"620402001001{n:02d}"
            add_cell(community, codes[col, row], col, row)
    for col in range(7):
        for row in range(6):
            x, y = X0 + col * W, Y0 + row * H
            around = [codes[c, r] for c in (col - 1, col) for r in (row - 1, row) if (c, r) in codes]
            assert code_at(x, y) == min(around)
            if row < 5:
                beside = [codes[c, row] for c in (col - 1, col) if (c, row) in codes]
                assert code_at(x, y + H / 2) == min(beside)


def test_irregular_polygons_and_holes(community):
    # A triangle-ish cell and a cell with a hole; the hole is outside.
    tri = {"type": "Polygon", "coordinates": [[[X0, Y0], [X0 + W, Y0], [X0, Y0 + H], [X0, Y0]]]}
    add_cell(community, "62040200100101", 0, 0, geometry=tri)
    x, y = X0 + 2 * W, Y0
    holed = {
        "type": "Polygon",
        "coordinates": [
            [[x, y], [x + W, y], [x + W, y + H], [x, y + H], [x, y]],
            [[x + W / 4, y + H / 4], [x + W / 4, y + 3 * H / 4], [x + 3 * W / 4, y + 3 * H / 4],
             [x + 3 * W / 4, y + H / 4], [x + W / 4, y + H / 4]],
        ],
    }  # fmt: skip
    add_cell(community, "62040200100102", 2, 0, geometry=holed)
    assert code_at(X0 + 0.2 * W, Y0 + 0.2 * H) == "62040200100101"
    assert code_at(X0 + 0.8 * W, Y0 + 0.8 * H) is None  # beyond the hypotenuse
    assert code_at(x + W / 2, y + H / 2) is None  # in the hole
    assert code_at(x + W / 4, y + H / 2) == "62040200100102"  # on the hole's edge
    assert code_at(x + 0.1 * W, y + 0.5 * H) == "62040200100102"
    # In bulk (the (point, candidate) pairs of `indices_many`), the same answers.
    pts = [(X0 + 0.2 * W, Y0 + 0.2 * H), (X0 + 0.8 * W, Y0 + 0.8 * H), (x + W / 2, y + H / 2), (x + W / 4, y + H / 2)]
    assert [c and c.cell_code for c in grid.locate_many(pts)] == ["62040200100101", None, None, "62040200100102"]


def test_locate_many_matches_locate(two_by_two):
    rng = random.Random(7)
    pts = [(X0 - W + rng.random() * 4 * W, Y0 - H + rng.random() * 4 * H) for _ in range(2000)]
    pts += [(X0 + W, Y0 + H), (X0 + W, Y0 + 0.5 * H), (math.nan, math.nan)]
    expected = [grid.locate(x, y) for x, y in pts]
    assert grid.locate_many(pts) == expected
    assert sum(e is not None for e in expected) > 300


def test_index_follows_added_changed_and_deleted_cells(two_by_two, community):
    far = (X0 + 5.5 * W, Y0 + 0.5 * H)
    assert grid.locate(*far) is None
    cell = add_cell(community, "62040200100109", 5, 0)
    assert code_at(*far) == "62040200100109"

    cell.code = "62040200100110"
    cell.save()
    assert code_at(*far) == "62040200100110"

    cell.geometry = block(7, 0)
    cell.save()
    assert grid.locate(*far) is None
    assert code_at(X0 + 7.5 * W, Y0 + 0.5 * H) == "62040200100110"

    Community.objects.filter(pk=community.pk).update(name="水川路社区")
    cell.save()  # names come along with any rebuild
    assert grid.locate(X0 + 7.5 * W, Y0 + 0.5 * H).community_name == "水川路社区"

    cell.delete()
    assert grid.locate(X0 + 7.5 * W, Y0 + 0.5 * H) is None


def test_other_processes_changes_seen_through_the_cache_version(two_by_two, monkeypatch):
    """Another process changed the grid: it bumped the cache version; we notice on the next check."""
    inside = (X0 + 0.5 * W, Y0 + 0.5 * H)
    assert code_at(*inside) == "62040200100103"
    # A change this process's signals did not see (a queryset update sends none)...
    GridCell.objects.filter(code="62040200100103").update(code="62040200100199")
    assert code_at(*inside) == "62040200100103"  # ...is not seen by itself,
    cache.incr(grid.shared.cache_key)  # ...but the other process bumped the version.
    assert code_at(*inside) == "62040200100103"  # not checked on every call,
    monkeypatch.setattr(grid.shared, "next_check", 0.0)  # only once CHECK_INTERVAL has passed
    assert code_at(*inside) == "62040200100199"


def test_invalidate_bumps_shared_version_even_when_missing(db):
    cache.delete(grid.shared.cache_key)
    grid.invalidate()
    first = cache.get(grid.shared.cache_key)
    assert first is not None
    grid.invalidate()
    assert cache.get(grid.shared.cache_key) == first + 1


def test_concurrent_first_use_builds_once(two_by_two, monkeypatch):
    import threading
    import time

    # Threads cannot see this test's rows (its transaction), so the slow build is simulated.
    grid.locate(0, 0)
    built = grid.shared.value
    builds = []

    def slow_build(version):
        builds.append(version)
        time.sleep(0.05)
        built.version = version
        return built

    monkeypatch.setattr(grid, "_build", slow_build)
    grid.invalidate()
    results = []
    threads = [threading.Thread(target=lambda: results.append(code_at(X0 + 0.5 * W, Y0 + 0.5 * H))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["62040200100103"] * 8
    assert len(builds) == 1


# ---------------------------------------------------------------------------------------------- coords


def metres(a, b):
    (lng1, lat1), (lng2, lat2) = a, b
    dy = (lat2 - lat1) * 111_320
    dx = (lng2 - lng1) * 111_320 * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(dx, dy)


def test_gcj02_round_trip_around_baiyin_within_half_a_metre():
    rng = random.Random(12319)
    worst = 0.0
    for _ in range(2000):
        p = (103.9 + rng.random() * 0.6, 36.3 + rng.random() * 0.5)
        back = coords.gcj02_to_wgs84(*coords.wgs84_to_gcj02(*p))
        worst = max(worst, metres(p, back))
    assert worst < 0.5
    # In fact the iteration lands within a millimetre.
    assert worst < 0.001


def test_gcj02_round_trip_across_china():
    rng = random.Random(2)
    for _ in range(500):
        p = (74 + rng.random() * 60, 18 + rng.random() * 35)
        assert metres(p, coords.gcj02_to_wgs84(*coords.wgs84_to_gcj02(*p))) < 0.5


# Published test vectors of the standard transform (eviltransform's tests): (lat, lng) pairs.
PUBLISHED = [
    ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),  # Shanghai
    ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),  # Shenzhen
    ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),  # Beijing
]


@pytest.mark.parametrize(("wgs", "gcj"), PUBLISHED)
def test_published_vectors(wgs, gcj):
    (wlat, wlng), (glat, glng) = wgs, gcj
    assert coords.wgs84_to_gcj02(wlng, wlat) == pytest.approx((glng, glat), abs=1e-9)
    assert coords.gcj02_to_wgs84(glng, glat) == pytest.approx((wlng, wlat), abs=1e-9)


def test_gcj02_offset_is_a_few_hundred_metres_at_baiyin():
    wgs = (104.17, 36.545)
    gcj = coords.wgs84_to_gcj02(*wgs)
    assert 150 < metres(wgs, gcj) < 500  # ~250 m, nearly all of it eastward
    assert coords.to_wgs84(*gcj, "gcj02") == pytest.approx(wgs, abs=1e-9)
    # The one-step inverse alone would be off by about a metre here; ours is not.
    dlng, dlat = gcj[0] - wgs[0], gcj[1] - wgs[1]
    one_step = coords.wgs84_to_gcj02(gcj[0] - dlng, gcj[1] - dlat)
    assert metres(one_step, gcj) < 0.001


def test_outside_china_unchanged():
    for p in [(2.35, 48.85), (-74.0, 40.7), (139.7, 35.7), (0.0, 0.0), (104.0, 60.0)]:
        assert coords.wgs84_to_gcj02(*p) == p
        assert coords.gcj02_to_wgs84(*p) == p
        assert coords.out_of_china(*p)
    assert not coords.out_of_china(104.17, 36.545)


def test_to_wgs84_accepts_known_crs_only():
    assert coords.to_wgs84(104.17, 36.545, "wgs84") == (104.17, 36.545)
    assert coords.to_wgs84(104.17, 36.545, "WGS-84") == (104.17, 36.545)
    assert coords.to_wgs84(104.17, 36.545, "gcj02") != (104.17, 36.545)
    for bad in ["bd09", "", "epsg:4326", None]:
        with pytest.raises(ValueError):
            coords.to_wgs84(104.17, 36.545, bad)
