"""The nearest on-duty inspectors (就近派核实/核查): Redis GEOSEARCH, this process's memory, and the
trail when Redis does not answer; off-duty and stale positions are never suggested."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from city.coords import distance_m
from city.models import Role
from field import positions
from field.models import PositionSample
from field.nearest import nearest_inspectors
from tests.conftest import LAT, LNG, T0
from tests.live import RedisServer, free_port

NOW = T0
EAST_100M = 100 / (111320 * 0.8035)  # degrees of longitude per 100 m at this latitude (cos 36.5° ≈ 0.8035)


@pytest.fixture(scope="module")
def redis_url():
    server = RedisServer().start()  # our own throwaway copy: the shared Redis is never flushed
    yield server.url
    server.stop()


@pytest.fixture(params=["memory", "redis"])
def store(request, monkeypatch):
    chosen = (
        positions.MemoryStore()
        if request.param == "memory"
        else positions.RedisStore(request.getfixturevalue("redis_url"))
    )
    chosen.clear()
    monkeypatch.setattr(positions, "_store", chosen)
    yield chosen
    chosen.clear()


def inspector(city, username):
    if username in city.users:
        return city.user(username)
    user = get_user_model().objects.create_user(username=username, password="x")
    user.groups.add(Group.objects.get(name=Role.INSPECTOR))
    city.users[username] = user
    return user


def put(city, username, metres_east, *, age=timedelta(seconds=30)):
    user = inspector(city, username)
    point = {"lng": LNG + metres_east / 100 * EAST_100M, "lat": LAT, "accuracy": 5, "recorded_at": NOW - age}
    positions.record(user, [point])
    return point


def test_nearest_on_duty_inspectors_first_with_their_distance(city, store):
    far = put(city, "inspector2", 900)
    near = put(city, "inspector1", 120)
    put(city, "inspector3", 50, age=timedelta(minutes=11))  # stale: could be anywhere by now
    put(city, "inspector4", 30)
    positions.set_duty(city.user("inspector4"), False)  # off duty: not suggested
    put(city, "inspector5", 8000)  # beyond the radius

    found = nearest_inspectors(LNG, LAT, now=NOW)

    assert [n.username for n in found] == ["inspector1", "inspector2"]
    assert found[0].distance_m == pytest.approx(distance_m(LNG, LAT, near["lng"], near["lat"]), abs=2)
    assert found[1].distance_m == pytest.approx(distance_m(LNG, LAT, far["lng"], far["lat"]), abs=2)
    assert 115 <= found[0].distance_m <= 125 and 890 <= found[1].distance_m <= 910
    assert isinstance(found[0].distance_m, int)


def test_back_on_duty_is_suggested_again_and_limit_holds(city, store):
    put(city, "inspector1", 200)
    positions.set_duty(city.user("inspector1"), False)
    assert nearest_inspectors(LNG, LAT, now=NOW) == []
    put(city, "inspector1", 150, age=timedelta(seconds=10))  # a new position: the handset is on duty again
    assert [n.username for n in nearest_inspectors(LNG, LAT, now=NOW)] == ["inspector1"]
    for i in range(2, 7):
        put(city, f"inspector{i}", 100 * i + 300)
    assert [n.username for n in nearest_inspectors(LNG, LAT, now=NOW, limit=3)] == [
        "inspector1",
        "inspector2",
        "inspector3",
    ]


def test_redis_down_the_trail_answers(city, monkeypatch):
    """Redis is never the record: with it gone, the latest trail points give the answer."""
    dead = positions.RedisStore(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    monkeypatch.setattr(positions, "_store", dead)
    put(city, "inspector1", 300)  # saved in the trail; the store's failure is logged, not raised
    put(city, "inspector2", 60)
    put(city, "inspector3", 10, age=timedelta(minutes=20))
    assert PositionSample.objects.count() == 3

    found = nearest_inspectors(LNG, LAT, now=NOW)

    assert [n.username for n in found] == ["inspector2", "inspector1"]
    assert 55 <= found[0].distance_m <= 65 and 295 <= found[1].distance_m <= 305


def test_someone_who_left_is_not_suggested(city, store):
    put(city, "inspector1", 100)
    put(city, "inspector2", 200)
    inspector1 = city.user("inspector1")
    inspector1.is_active = False
    inspector1.save()
    assert [n.username for n in nearest_inspectors(LNG, LAT, now=NOW)] == ["inspector2"]
