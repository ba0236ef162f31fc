"""Patrol coverage 巡查覆盖: exact counts on a made-up trail through known cells; the track and
coverage API with its role checks and date errors."""

from datetime import datetime, timedelta

import pytest
import time_machine

from city.coords import distance_m, path_lengths_m
from city.models import ResponsibilityGrid
from field import attendance, coverage
from field.models import PositionSample
from tests.conftest import CELL_H, CELL_W, LAT, LNG, SHANGHAI, T0
from tests.factories import build_city

DAY = T0.date()
X0, Y0 = LNG - CELL_W / 2, LAT - CELL_H / 2  # the south-west corner of cell 01


def centre(i):
    """The centre of cell 0i of a one-row city (columns run east)."""
    return X0 + (i - 1 + 0.5) * CELL_W, Y0 + CELL_H / 2


@pytest.fixture
def city5(db):
    """Five cells in a row, 62040200100101..05, all in inspector1's responsibility grid."""
    return build_city(columns=5, rows=1)


def walk(user, points, start=datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI), step=timedelta(seconds=10)):
    PositionSample.objects.bulk_create(
        [PositionSample(user=user, lng=x, lat=y, recorded_at=start + k * step) for k, (x, y) in enumerate(points)]
    )


def test_exact_counts_on_a_made_up_trail(city5):
    inspector = city5.user("inspector1")
    # Cells 1 → 2 → 3 (twice in 2), then outside the city; never 4 or 5.
    path = [centre(1), centre(2), centre(3), centre(2), (X0 - 0.01, Y0)]
    walk(inspector, path)
    # A point of the day before and one of the day after do not count.
    walk(inspector, [centre(5)], start=T0 - timedelta(days=1))
    walk(inspector, [centre(4)], start=T0 + timedelta(days=1))
    attendance.clock(inspector, "clock_in", LNG, LAT, now=T0)
    attendance.clock(inspector, "clock_out", LNG, LAT, now=T0 + timedelta(hours=2))

    c = coverage.coverage_of(inspector, DAY, now=T0 + timedelta(days=1))
    assert c.cells_assigned == [f"620402001001{i:02d}" for i in range(1, 6)]
    assert c.cells_entered == ["62040200100101", "62040200100102", "62040200100103"]
    assert c.rate == 0.6
    assert c.points == 5
    expected = sum(distance_m(*path[k], *path[k + 1]) for k in range(len(path) - 1))
    assert c.distance_m == pytest.approx(expected, rel=1e-9)
    assert c.on_duty_minutes == 120


def test_many_inspectors_at_once_keep_their_own_trails(city5):
    one, two = city5.user("inspector1"), city5.user("inspector2")
    grid2 = ResponsibilityGrid.objects.create(code="G2", name="二号责任网格")
    grid2.cells.set(city5.cells[3:])  # cells 04 and 05
    grid2.inspectors.set([two])
    walk(one, [centre(1), centre(5)])
    walk(two, [centre(4), centre(1)])
    found = coverage.day_coverage(DAY, [one, two], now=T0)
    assert found[one.pk].cells_entered == ["62040200100101", "62040200100105"]
    assert found[two.pk].cells_assigned == ["62040200100104", "62040200100105"]
    assert found[two.pk].cells_entered == ["62040200100104"]  # cell 1 is not in their grid
    assert found[two.pk].rate == 0.5
    # No distance between one inspector's last point and the next one's first.
    assert found[one.pk].distance_m == pytest.approx(distance_m(*centre(1), *centre(5)))
    assert found[two.pk].distance_m == pytest.approx(distance_m(*centre(4), *centre(1)))


def test_no_grid_no_rate(city5):
    c = coverage.coverage_of(city5.user("inspector2"), DAY, now=T0)
    assert (c.cells_assigned, c.cells_entered, c.rate, c.distance_m, c.points) == ([], [], None, 0.0, 0)


def test_path_lengths_match_distance_m():
    lngs, lats = [104.1, 104.2, 104.25, 104.25], [36.5, 36.6, 36.55, 36.55]
    steps = path_lengths_m(lngs, lats)
    assert list(steps) == pytest.approx([distance_m(lngs[k], lats[k], lngs[k + 1], lats[k + 1]) for k in range(3)])


# --------------------------------------------------------------------------- the API


@pytest.fixture
def frozen():
    with time_machine.travel(T0 + timedelta(hours=3), tick=False):
        yield


@pytest.fixture
def walked(city, frozen):
    walk(city.user("inspector1"), [(LNG, LAT), (LNG + CELL_W, LAT)])
    return city


def test_track_in_time_order_as_geojson(api, walked):
    # Stored out of order: the answer is in time order all the same.
    PositionSample.objects.create(
        user=walked.user("inspector1"),
        lng=LNG,
        lat=LAT + 0.0001,
        recorded_at=datetime(2026, 11, 24, 8, 0, tzinfo=SHANGHAI),
    )
    r = api("inspector1").get("/api/v1/inspectors/inspector1/track?date=2026-11-24")
    assert r.status_code == 200
    body = r.json()
    assert body["type"] == "FeatureCollection"
    times = [f["properties"]["recorded_at"] for f in body["features"]]
    assert len(times) == 3
    assert times == sorted(times)
    assert body["features"][0]["geometry"] == {"type": "Point", "coordinates": [LNG, LAT + 0.0001]}


def test_coverage_api(api, walked):
    r = api("supervisor").get("/api/v1/inspectors/inspector1/coverage?date=2026-11-24")
    assert r.status_code == 200
    body = r.json()
    assert body["cells_assigned"] == ["62040200100101", "62040200100102"]
    assert body["cells_entered"] == ["62040200100101", "62040200100102"]
    assert body["rate"] == 1.0
    assert body["distance_m"] == pytest.approx(round(distance_m(LNG, LAT, LNG + CELL_W, LAT), 1))
    assert body["on_duty_minutes"] == 0


@pytest.mark.parametrize("what", ["track", "coverage"])
@pytest.mark.parametrize(
    ("viewer", "username", "status"),
    [
        ("inspector1", "inspector1", 200),
        ("inspector2", "inspector1", 403),
        ("supervisor", "inspector1", 200),
        ("leader", "inspector1", 200),
        ("calltaker", "inspector1", 403),
        ("dispatcher", "inspector1", 403),
        ("staff_huanwei", "inspector1", 403),
        ("calltaker", "calltaker", 403),
        ("supervisor", "nobody", 404),
        ("supervisor", "calltaker", 404),
    ],
)
def test_who_may_see_whose_day(api, walked, what, viewer, username, status):
    assert api(viewer).get(f"/api/v1/inspectors/{username}/{what}?date=2026-11-24").status_code == status


def test_anonymous_is_401(api, walked):
    assert api().get("/api/v1/inspectors/inspector1/track?date=2026-11-24").status_code == 401


@pytest.mark.parametrize("what", ["track", "coverage"])
@pytest.mark.parametrize("raw", ["2026-02-30", "yesterday", "1999-12-31", "9999-12-31", "2026-11-24T00:00", ""])
def test_bad_dates_are_400(api, walked, what, raw):
    r = api("supervisor").get(f"/api/v1/inspectors/inspector1/{what}", {"date": raw})
    assert r.status_code == 400
    assert "date" in r.json()["error"]["fields"]


def test_without_a_date_today(api, walked):
    body = api("inspector1").get("/api/v1/inspectors/inspector1/coverage").json()
    assert body["date"] == "2026-11-24"
    assert body["points"] == 2


@pytest.mark.parametrize(
    ("viewer", "query", "status"),
    [
        ("supervisor", {"inspector": "inspector1", "date": "2026-11-24"}, 200),
        ("leader", {"inspector": "inspector1", "date": "2026-11-24"}, 200),
        ("dispatcher", {"inspector": "inspector1", "date": "2026-11-24"}, 403),
        ("calltaker", {"inspector": "inspector1", "date": "2026-11-24"}, 403),
        ("inspector1", {"inspector": "inspector1", "date": "2026-11-24"}, 403),  # a staff page, not the handset's
        ("supervisor", {"inspector": "inspector1", "date": "2026-13-01"}, 400),
        ("supervisor", {"inspector": "nobody", "date": "2026-11-24"}, 400),
        ("supervisor", {"inspector": "a\x00b", "date": "2026-11-24"}, 400),
    ],
)
def test_replay_feed(client, walked, make_case, viewer, query, status):
    make_case("reported", actor=walked.user("inspector1"), source="inspector", now=T0 + timedelta(minutes=1))
    client.force_login(walked.user(viewer))
    r = client.get("/maps/api/track.json", query)
    assert r.status_code == status
    if status == 200:
        body = r.json()
        assert len(body["track"]["features"]) == 2
        assert [a["action"] for a in body["actions"]] == ["report"]
