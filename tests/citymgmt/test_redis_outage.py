"""Issue 13.6: Redis is a cache and a channel layer, never the record. A real daphne runs with
REDIS_URL at a redis-server of this test's own; Redis stops mid-test; reports, actions, logins,
positions and map feeds are still saved and answered; /readyz says 503 naming Redis; Redis comes
back and a board that resumes gets every event from the log."""

import asyncio
import io
import json
import shutil
from datetime import timedelta

import aiohttp
import pytest
import requests
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test import Client
from django.utils import timezone
from PIL import Image

from dispatch import live
from dispatch.models import Case, CaseEvent, CasePhoto
from field.models import PositionSample
from mobile_api.models import ApiToken
from tests.conftest import LAT, LNG
from tests.live import Daphne, RedisServer

pytestmark = [
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server on PATH"),
    pytest.mark.real_clock,  # a daphne process of its own: it does not see a shifted test clock
]


@pytest.fixture
def redis_server():
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def app_on_redis(redis_server, transactional_db):
    server = Daphne(connection.settings_dict)
    server.env["REDIS_URL"] = redis_server.url
    server.start()
    yield server
    server.stop()


def photo() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buf, "JPEG")
    return buf.getvalue()


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


async def resume_board(base_url: str, cookie: str, since: int) -> list[dict]:
    url = base_url.replace("http://", "ws://") + f"/ws/board/?since={since}"
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(url, headers={"Cookie": cookie, "Origin": base_url}) as ws:
            messages = []
            while True:
                message = json.loads((await ws.receive(timeout=10)).data)
                messages.append(message)
                if message["type"] in ("synced", "resync"):
                    return messages


async def resume_board_with_retries(base_url: str, cookie: str, since: int, attempts: int = 20) -> list[dict]:
    """As the board page does: reconnect with a pause until the socket opens. (Right after a Redis
    restart channels_redis' PubSub layer may refuse the first handshakes while it resubscribes.)"""
    for attempt in range(attempts):
        try:
            return await resume_board(base_url, cookie, since)
        except aiohttp.WSServerHandshakeError:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(0.5)
    raise AssertionError("unreachable")


def test_with_redis_down_everything_is_saved_and_answered_and_boards_recover(
    app_on_redis, redis_server, city, make_case
):
    base = app_on_redis.url
    inspector, dispatcher = city.user("inspector1"), city.user("dispatcher")
    registered = make_case("registered", now=timezone.now())
    token = {u: ApiToken.issue(city.user(u))[1] for u in ("inspector1", "dispatcher")}
    cookie = session_cookie(dispatcher)
    since = live.last_event_id()
    # With Redis up, the app answers (and fills its caches).
    assert requests.get(f"{base}/maps/api/cases.json", headers={"Cookie": cookie}, timeout=30).status_code == 200
    assert requests.get(f"{base}/readyz", timeout=30).status_code == 200

    redis_server.stop()

    def api(method, path, who, **kw):
        return requests.request(
            method, f"{base}{path}", headers={"Authorization": f"Token {token[who]}"}, timeout=30, **kw
        )

    report = api(
        "POST",
        "/api/v1/cases",
        "inspector1",
        data={"category": "E0102", "description": "井盖缺失", "lng": LNG, "lat": LAT},
        files={"photos": ("p.jpg", photo(), "image/jpeg")},
    )
    assert report.status_code == 201, report.text[-2000:] + app_on_redis.log()[-3000:]
    case = Case.objects.get(number=report.json()["number"])
    assert CasePhoto.objects.filter(case=case).count() == 1

    action = api(
        "POST", f"/api/v1/cases/{registered.number}/actions/dispatch", "dispatcher", json={"department": "huanwei"}
    )
    assert action.status_code == 200, action.text[-2000:]
    registered.refresh_from_db()
    assert registered.state == "dispatched"

    # The server hashes passwords with production's hasher, not the tests' fast one.
    inspector2 = city.user("inspector2")
    inspector2.password = make_password("pw-12319-test", hasher="pbkdf2_sha256")
    inspector2.save(update_fields=["password"])
    login = requests.post(
        f"{base}/api/v1/auth/token", json={"username": "inspector2", "password": "pw-12319-test"}, timeout=30
    )
    assert login.status_code == 200, login.text[-2000:]
    assert login.json()["token"]

    start = timezone.now() - timedelta(minutes=2)
    points = [
        {"lng": LNG, "lat": LAT, "accuracy": 5, "recorded_at": (start + timedelta(seconds=40 * i)).isoformat()}
        for i in range(3)
    ]
    positions = api("POST", "/api/v1/positions", "inspector1", json={"positions": points})
    assert positions.status_code == 202, positions.text[-2000:]
    assert PositionSample.objects.filter(user=inspector).count() == 3

    for feed in ("grid.geojson", "cases.geojson", "cases.json", "cells.json", "today.json", "inspectors.json"):
        r = requests.get(f"{base}/maps/api/{feed}", headers={"Cookie": cookie}, timeout=30)
        assert r.status_code == 200, (feed, r.text[-2000:])
    inspectors = requests.get(f"{base}/maps/api/inspectors.json", headers={"Cookie": cookie}, timeout=30).json()
    assert [p["username"] for p in inspectors["inspectors"]] == ["inspector1"]  # from the trail

    ready = requests.get(f"{base}/readyz", timeout=30)
    assert ready.status_code == 503
    assert "redis" in ready.text.lower()

    redis_server.start()  # same port, empty: nothing in it was the record
    messages = asyncio.run(resume_board_with_retries(base, cookie, since))
    expected = list(CaseEvent.objects.filter(id__gt=since).order_by("id").values_list("id", flat=True))
    assert [m["id"] for m in messages if m["type"] == "event"] == expected
    assert messages[-1] == {"type": "synced", "last_id": expected[-1]}
    assert {"report", "dispatch"} <= {m["action"] for m in messages if m["type"] == "event"}
    assert requests.get(f"{base}/readyz", timeout=30).status_code == 200
