"""Inspector positions: batches, the latest per inspector (memory or Redis GEO), a sampled trail,
coalesced board events."""

import asyncio
import itertools
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.utils import timezone

from city.coords import wgs84_to_gcj02
from field import positions
from field.models import PositionSample
from tests.conftest import LAT, LNG


@pytest.fixture(autouse=True)
def _empty_store():
    positions.store().clear()
    yield
    positions.store().clear()


def batch(n, start=None, step_s=10, lng=LNG, lat=LAT):
    start = start or timezone.now() - timedelta(seconds=n * step_s)
    return [
        {
            "lng": lng + i * 1e-5,
            "lat": lat,
            "accuracy": 5,
            "recorded_at": (start + timedelta(seconds=i * step_s)).isoformat(),
        }
        for i in range(n)
    ]


def post(client, body):
    return client.post("/api/v1/positions", body, format="json")


def test_batch_is_accepted_and_sampled(api, city):
    r = post(api("inspector1"), {"positions": batch(12, step_s=10)})  # two minutes of points
    assert r.status_code == 202
    assert r.json() == {"accepted": 12, "stored": 4}  # one per 30 s: 0, 30, 60, 90
    trail = list(positions.trail(city.user("inspector1")))
    assert len(trail) == 4
    gaps = [(b.recorded_at - a.recorded_at).total_seconds() for a, b in itertools.pairwise(trail)]
    assert gaps == [30, 30, 30]


def test_sampling_continues_across_batches(api, city):
    start = timezone.now() - timedelta(minutes=5)
    client = api("inspector1")
    post(client, {"positions": batch(1, start=start)})
    r = post(client, {"positions": batch(2, start=start + timedelta(seconds=10), step_s=10)})
    assert r.json()["stored"] == 0  # 10 s and 20 s after the kept point
    r = post(client, {"positions": batch(1, start=start + timedelta(seconds=31))})
    assert r.json()["stored"] == 1
    assert PositionSample.objects.count() == 2


def test_latest_position_is_the_newest_even_if_batches_arrive_out_of_order(api, city):
    client = api("inspector1")
    now = timezone.now()
    post(client, {"positions": batch(1, start=now - timedelta(seconds=5), lng=LNG + 0.001)})
    post(client, {"positions": batch(1, start=now - timedelta(minutes=10), lng=LNG)})  # a late, older batch
    (latest,) = positions.store().latest()
    assert latest.username == "inspector1"
    assert abs(latest.lng - (LNG + 0.001)) < 1e-9


def test_near_finds_inspectors_by_distance(api, city):
    post(api("inspector1"), {"positions": batch(1)})
    post(api("inspector2"), {"positions": batch(1, lng=LNG + 0.01)})  # about 900 m east
    near = positions.store().near(LNG, LAT, 200)
    assert [p.username for p, _ in near] == ["inspector1"]
    both = positions.store().near(LNG, LAT, 2000)
    assert [p.username for p, _ in both] == ["inspector1", "inspector2"]
    assert 800 < both[1][1] < 1000


def test_store_is_redis_when_configured(city):
    expected = positions.RedisStore if settings.REDIS_URL else positions.MemoryStore
    assert isinstance(positions.store(), expected)


def test_gcj02_positions_are_converted(api, city):
    g_lng, g_lat = wgs84_to_gcj02(LNG, LAT)
    post(
        api("inspector1"),
        {"crs": "gcj02", "positions": [{"lng": g_lng, "lat": g_lat, "recorded_at": timezone.now().isoformat()}]},
    )
    (latest,) = positions.store().latest()
    assert abs(latest.lng - LNG) < 1e-6 and abs(latest.lat - LAT) < 1e-6


def test_a_bare_list_is_accepted(api, city):
    assert post(api("inspector1"), batch(3)).status_code == 202


@pytest.mark.parametrize(
    "body",
    [
        {"positions": []},
        {"positions": batch(101, step_s=1)},
        {"positions": [{"lng": 500, "lat": 1, "recorded_at": "2026-11-25T10:00:00+08:00"}]},
        {"positions": [{"lng": 1, "lat": 1}]},
        {"positions": "here"},
        {"positions": [{"lng": LNG, "lat": LAT, "accuracy": -1, "recorded_at": "2026-11-25T10:00:00+08:00"}]},
    ],
)
def test_bad_batches_are_400_and_store_nothing(api, city, body):
    r = post(api("inspector1"), body)
    assert r.status_code == 400, r.content
    assert r.json()["error"]["code"] == "invalid"
    assert PositionSample.objects.count() == 0 and positions.store().latest() == []


def test_future_points_are_refused(api, city):
    r = post(api("inspector1"), {"positions": batch(1, start=timezone.now() + timedelta(hours=1))})
    assert r.status_code == 400
    assert r.json()["error"]["fields"] == {"positions.0.recorded_at": "in_future"}


def test_only_inspectors_send_positions(api, city):
    assert post(api("dispatcher"), {"positions": batch(1)}).status_code == 403
    assert post(api(), {"positions": batch(1)}).status_code == 401


def test_board_gets_at_most_one_position_event_per_interval(api, city):
    first, second = api("inspector1"), api("inspector2")

    async def run():
        # One event loop for the whole test: the Redis PubSub layer's channels live in one loop.
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add("board", channel)
        try:
            for i in range(3):  # three uploads in quick succession: one event
                start = timezone.now() - timedelta(seconds=10 - i)
                await sync_to_async(post)(first, {"positions": batch(1, start=start)})
            message = await asyncio.wait_for(layer.receive(channel), timeout=5)
            assert message["type"] == "inspector.position"
            assert message["message"]["kind"] == "inspector.position"
            assert message["message"]["inspector"]["username"] == "inspector1"
            # Another inspector is not held back by the first one's interval; and the next message
            # being theirs shows inspector1's later uploads sent nothing. (No timeout on receive:
            # cancelling it makes the PubSub layer unsubscribe the channel.)
            await sync_to_async(post)(second, {"positions": batch(1)})
            message = await asyncio.wait_for(layer.receive(channel), timeout=5)
            assert message["message"]["inspector"]["username"] == "inspector2"
        finally:
            await layer.group_discard("board", channel)

    async_to_sync(run)()


def test_a_boolean_is_not_a_coordinate(api):
    """Found by schemathesis: JSON false was read as latitude 0.0."""
    r = api("inspector1").post(
        "/api/v1/positions",
        {"positions": [{"lat": False, "lng": 0.0, "recorded_at": "2026-11-24T09:00:00+08:00"}]},
        format="json",
    )
    assert r.status_code == 400 and "positions" in r.json()["error"]["fields"]


def test_going_off_duty_takes_the_inspector_off_the_live_map(api, city):
    from django.test import Client

    client = api("inspector1")
    post(client, {"positions": batch(2)})
    post(api("inspector2"), {"positions": batch(1, start=timezone.now() - timedelta(minutes=11))})
    staff = Client()
    staff.force_login(city.user("supervisor"))
    feed = staff.get("/maps/api/inspectors.json").json()
    assert {(p["username"], p["stale"]) for p in feed["inspectors"]} == {("inspector1", False), ("inspector2", True)}
    assert feed["stale_after_s"] == 600 and feed["now"]

    r = post(client, {"positions": [], "on_duty": False})  # the handset's 下岗
    assert r.status_code == 202 and r.json() == {"accepted": 0, "stored": 0}
    assert [p.on_duty for p in positions.store().latest() if p.username == "inspector1"] == [False]
    assert PositionSample.objects.filter(user=city.user("inspector1")).count() == 1  # the trail is kept
    feed = staff.get("/maps/api/inspectors.json").json()
    assert [p["username"] for p in feed["inspectors"]] == ["inspector2"]
    # Back on duty with the next position.
    post(client, {"positions": batch(1, start=timezone.now())})
    feed = staff.get("/maps/api/inspectors.json").json()
    assert sorted(p["username"] for p in feed["inspectors"]) == ["inspector1", "inspector2"]


def test_an_empty_batch_on_duty_is_400(api, city):
    r = post(api("inspector1"), {"positions": [], "on_duty": True})
    assert r.status_code == 400 and "positions" in r.json()["error"]["fields"]
