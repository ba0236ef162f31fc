"""Two daphne processes and two workers behind nginx, on the test PostgreSQL and Redis.

Every process is started here (tests/cluster.py, the core of scripts/cluster) on free ports and
stopped at the end of the module. Boards connect through nginx; writes go through the other daphne.
"""

import asyncio
import json
import time
from datetime import timedelta

import aiohttp
import pytest
from django.conf import settings
from django.utils import timezone
from twilio.request_validator import RequestValidator

from tests.conftest import LAT, LNG
from tests.deploy.boards import CSRF, Board, cookie_header, report
from tests.live import database_url, session_cookie_for

pytestmark = [pytest.mark.cluster, pytest.mark.django_db(transaction=True)]

TWILIO_TOKEN = "cluster-test-auth-token-0123456789"


def need_postgres_and_redis():
    import shutil

    from django.db import connection

    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        pytest.skip("cluster tests need PostgreSQL and Redis (DATABASE_URL, REDIS_URL): SQLite serves one machine")
    if not (shutil.which("nginx") or __import__("os").path.exists("/usr/sbin/nginx")):
        pytest.skip("cluster tests need nginx: apt-get install -y nginx")


@pytest.fixture(scope="module")
def cluster(django_db_setup, django_db_blocker):
    need_postgres_and_redis()
    from django.db import connection

    from tests.cluster import Cluster

    env = {
        "LOG_LEVEL": "INFO",  # the workers' console SMS backend logs each send: counted below
        "SMS_BACKEND": "console",
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "PUBLIC_BASE_URL": "",
    }
    c = Cluster(database_url(connection.settings_dict), settings.REDIS_URL, web=2, workers=2, env=env)
    c.start()
    yield c
    c.stop()


@pytest.fixture
def unsafe_orm(monkeypatch):
    """The test's own ORM calls between awaits (short, on committed data)."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def wait_grid_known(cluster, token, timeout=15):
    """The processes rebuild their grid index within 3 s of a change (version in the cache)."""
    import urllib.request

    deadline = time.monotonic() + timeout
    for web in cluster.webs:
        while True:
            try:
                url = f"{web.url}/api/v1/grid/locate?lng={LNG}&lat={LAT}"
                request = urllib.request.Request(url, headers={"Authorization": f"Token {token}"})  # noqa: S310
                with urllib.request.urlopen(request, timeout=5) as r:  # noqa: S310 (our loopback)
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the processes never saw the new grid"
            time.sleep(0.3)


def last_event_id() -> int:
    from dispatch.models import CaseEvent

    return CaseEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


async def wait_synced(boards, timeout=30):
    try:
        await asyncio.wait_for(asyncio.gather(*(b.synced.wait() for b in boards)), timeout)
    except TimeoutError:
        stuck = next(b for b in boards if not b.synced.is_set())
        raise AssertionError(f"a board never synced: {stuck.error!r} {stuck.frames}") from None


def token_for(user) -> str:
    from mobile_api.models import ApiToken

    return ApiToken.issue(user)[1]


def other_web(cluster, board) -> str:
    port = int(board.upstream.rsplit(":", 1)[1])
    return next(w.url for w in cluster.webs if w.port != port)


def test_a_board_on_one_daphne_gets_within_2s_what_is_written_through_the_other(cluster, city, make_case, unsafe_orm):
    from dispatch.models import Case, CaseEvent

    token = token_for(city.user("inspector1"))
    wait_grid_known(cluster, token)
    board_cookie = cookie_header(session_cookie_for(city.user("dispatcher"), cluster.url))
    console_cookie = cookie_header(session_cookie_for(city.user("supervisor"), cluster.url))

    async def run():
        latencies = {}
        async with aiohttp.ClientSession() as s:
            board = Board(s, cluster.url, board_cookie, since=last_event_id())
            await board.connect()
            board.start()
            await wait_synced([board])
            other = other_web(cluster, board)
            assert other not in board.upstream

            # A case already late: the workers turn its light red and log it (their event, not ours).
            late = make_case("reported", now=timezone.now() - timedelta(days=30))

            # 1. A report through the handset API (latency from the request's start: an upper bound).
            sent = time.time()
            _, body, _ = await report(s, other, token, "cluster-1", lng=LNG, lat=LAT)
            arrived = await board.wait_for(body["number"], "report", 2)
            assert arrived, "a report written on the other daphne never reached the board"
            latencies["API report"] = arrived - sent

            # 2. An action from a console (session + CSRF), as console.js posts it.
            headers = {"Cookie": console_cookie, "X-CSRFToken": CSRF, "Origin": other}
            url = f"{other}/api/v1/cases/{body['number']}/actions/register"
            sent = time.time()
            async with s.post(url, json={}, headers=headers) as r:
                assert r.status == 200, await r.text()
            arrived = await board.wait_for(body["number"], "register", 2)
            assert arrived, "a console action on the other daphne never reached the board"
            latencies["console action"] = arrived - sent

            # 3. An SMS webhook, signed as Twilio signs it.
            url = f"{other}/hotline/twilio/sms"
            params = {"MessageSid": "SMcluster1", "From": "+8613812345678", "To": "+1202", "Body": "人民路垃圾成堆"}
            signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, params)
            sent = time.time()
            async with s.post(url, data=params, headers={"X-Twilio-Signature": signature}) as r:
                assert r.status == 200, await r.text()
            number = Case.objects.get(source="sms").number
            arrived = await board.wait_for(number, "report", 2)
            assert arrived, "an SMS filed on the other daphne never reached the board"
            latencies["SMS webhook"] = arrived - sent

            # 4. The worker's light change (a third process): from its commit to the board.
            arrived = await board.wait_for(late.number, "warn", 30)  # a pass every second, on a busy machine
            assert arrived, f"no light change reached the board: {cluster.logs()}"
            event = CaseEvent.objects.get(case=late, action="warn")
            latencies["worker light change"] = arrived - event.created_at.timestamp()
            await board.close()
        return latencies

    latencies = asyncio.run(run())
    print("board latency (s):", {k: round(v, 3) for k, v in latencies.items()})
    assert all(v < 2 for v in latencies.values()), latencies


def test_killing_one_daphne_loses_no_event_and_files_each_report_once(cluster, city, unsafe_orm):
    """20 boards and a stream of reports; one daphne is killed (SIGKILL) halfway."""
    from dispatch.models import Case, CaseEvent

    tokens = [token_for(city.user(name)) for name in ("inspector1", "inspector2", "inspector1")]
    wait_grid_known(cluster, tokens[0])
    cookie = cookie_header(session_cookie_for(city.user("dispatcher"), cluster.url))
    first_id = (CaseEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    n_reports = 36

    async def run():
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as s:
            boards = [Board(s, cluster.url, cookie, since=first_id - 1) for _ in range(20)]
            await asyncio.gather(*(b.connect() for b in boards))
            for b in boards:
                b.start()
            await wait_synced(boards)
            upstreams = {b.upstream for b in boards}
            assert len(upstreams) == 2, upstreams  # nginx spread them over both processes
            victim_port = int(boards[0].upstream.rsplit(":", 1)[1])
            on_victim = [b for b in boards if b.upstream.endswith(f":{victim_port}")]

            results = []

            async def handset(i):
                for j in range(i, n_reports, len(tokens)):
                    lng = LNG + (j % 6) * 0.00005
                    results.append(await report(s, cluster.url, tokens[i], f"kill-{j}", lng=lng, lat=LAT))
                    await asyncio.sleep(0.1)

            writers = asyncio.gather(*(handset(i) for i in range(len(tokens))))
            while len(results) < n_reports // 3:
                await asyncio.sleep(0.05)
            cluster.kill_web(cluster.web_for_port(victim_port))
            await writers

            last = CaseEvent.objects.order_by("-id").values_list("id", flat=True).first()
            deadline = time.monotonic() + 30
            while any(b.last_id < last for b in boards) and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            expected = set(CaseEvent.objects.filter(id__gte=first_id).values_list("id", flat=True))
            outcome = {
                "missing": sum(len(expected - set(b.applied)) for b in boards),
                "doubled": sum(1 for b in boards for n in b.applied.values() if n > 1),
                "moved": all(b.reconnects >= 1 and not b.upstream.endswith(f":{victim_port}") for b in on_victim),
                "retried": sum(1 for _status, _body, tries in results if tries > 1),
                "numbers": {body["number"] for _status, body, _tries in results},
            }
            for b in boards:
                await b.close()
            return outcome, len(on_victim)

    try:
        outcome, moved_boards = asyncio.run(run())
    finally:
        for web in cluster.webs:  # bring the killed process back for the next tests
            if web.proc.poll() is not None:
                web.start()
    print(f"boards moved to the survivor: {moved_boards}; reports retried by their handset: {outcome['retried']}")
    assert outcome["missing"] == 0 and outcome["doubled"] == 0, outcome
    assert outcome["moved"], "boards of the killed daphne did not reconnect through nginx to the survivor"
    assert len(outcome["numbers"]) == n_reports
    assert Case.objects.filter(client_key__startswith="kill-").count() == n_reports  # each report filed once


def test_two_workers_on_the_same_due_work_write_each_light_change_and_sms_once(cluster, city, make_case):
    from django.db import transaction

    from dispatch.models import CaseEvent
    from hotline.models import OutboundMessage

    long_ago = timezone.now() - timedelta(days=30)
    with transaction.atomic():  # the workers see every case at once, already registered and late
        cases = [
            make_case("registered", now=long_ago, reporter_phone=f"1391234{i:04d}", lng=LNG + i * 0.00002)
            for i in range(12)
        ]
    numbers = {c.number for c in cases}
    assert OutboundMessage.objects.filter(case__in=cases, purpose="registered").count() == 12

    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        sent = OutboundMessage.objects.filter(case__in=cases, status="sent").count()
        warned = CaseEvent.objects.filter(case__in=cases, action="warn").count()
        if sent == 12 and warned >= 12:
            break
        time.sleep(0.5)
    time.sleep(3)  # both workers pass again: nothing more may be written

    warnings = list(CaseEvent.objects.filter(case__in=cases, action="warn").values_list("case__number", "data"))
    assert sorted(n for n, _ in warnings) == sorted(numbers), warnings  # one light change per case
    assert all(data["light"] == "red" for _, data in warnings)
    assert OutboundMessage.objects.filter(case__in=cases).exclude(status="sent").count() == 0
    logs = "".join(w.log() for w in cluster.workers)
    sends = {n: logs.count(f"案卷号 {n}") for n in numbers}
    assert set(sends.values()) == {1}, sends  # each SMS went out once, from one of the two workers
    passes = [json.dumps(w.log().count("hotline.sms")) for w in cluster.workers]
    print("SMS sent per worker:", passes)
