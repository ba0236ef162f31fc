"""The cluster while Redis or PostgreSQL restarts underneath it.

Each test starts the service it restarts itself, on a free port: a `redis-server` of its own, or a
PostgreSQL cluster made with `initdb` and driven with `pg_ctl` (never the machine's shared ones).
"""

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import aiohttp
import pytest
from django.conf import settings

from tests.conftest import LAT, LNG
from tests.deploy.boards import Board, cookie_header, report
from tests.deploy.test_cluster import last_event_id, need_postgres_and_redis, token_for, wait_grid_known, wait_synced
from tests.live import ROOT, RedisServer, database_url, free_port, session_cookie_for

pytestmark = [pytest.mark.cluster, pytest.mark.django_db(transaction=True)]

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def get(url, token=None, timeout=15):
    """(status, JSON body, seconds taken) without raising on 4xx/5xx."""
    import json

    request = urllib.request.Request(url, headers={"Authorization": f"Token {token}"} if token else {})  # noqa: S310
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:  # noqa: S310 (our loopback)
            return r.status, json.loads(r.read()), time.monotonic() - started
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null"), time.monotonic() - started


# --------------------------------------------------------------------------- Redis


def test_restarting_redis_keeps_writes_succeeding_and_boards_recover_every_event(city, monkeypatch):
    need_postgres_and_redis()
    if not shutil.which("redis-server"):
        pytest.skip("needs redis-server")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from django.db import connection

    from dispatch.models import Case, CaseEvent
    from tests.cluster import Cluster

    redis = RedisServer().start()
    cluster = Cluster(
        database_url(connection.settings_dict), redis.url, web=2, workers=0, env={"CACHE_KEY_PREFIX": "rr"}
    )
    try:
        cluster.start()
        token = token_for(city.user("inspector1"))
        wait_grid_known(cluster, token)
        cookie = cookie_header(session_cookie_for(city.user("dispatcher"), cluster.url))
        first_id = last_event_id() + 1

        async def run():
            async with aiohttp.ClientSession() as s:
                boards = [Board(s, cluster.url, cookie, since=first_id - 1) for _ in range(4)]
                for b in boards:
                    await b.connect()
                    b.start()
                await wait_synced(boards)
                first_tries = []
                for i in range(24):
                    if i == 6:
                        redis.stop()  # Redis goes away mid-stream (no persistence: it comes back empty)
                    if i == 14:
                        redis.start()
                    _status, _body, tries = await report(s, cluster.url, token, f"redis-{i}", lng=LNG, lat=LAT)
                    first_tries.append(tries)
                    await asyncio.sleep(0.25)
                last = last_event_id()
                deadline = time.monotonic() + 30
                while any(b.last_id < last for b in boards) and time.monotonic() < deadline:
                    await asyncio.sleep(0.1)
                expected = set(CaseEvent.objects.filter(id__gte=first_id).values_list("id", flat=True))
                missing = sum(len(expected - set(b.applied)) for b in boards)
                doubled = sum(1 for b in boards for n in b.applied.values() if n > 1)
                for b in boards:
                    await b.close()
                return first_tries, missing, doubled

        first_tries, missing, doubled = asyncio.run(run())
    finally:
        cluster.stop()
        redis.stop()
    assert Case.objects.filter(client_key__startswith="redis-").count() == 24
    assert missing == 0 and doubled == 0, (missing, doubled)
    # The hardening issue's promise: Redis is never the record, so no write waits for it.
    assert first_tries == [1] * 24, f"reports that needed a retry while Redis was down: {first_tries}"


# --------------------------------------------------------------------------- PostgreSQL


class OwnPostgres:
    """A PostgreSQL cluster of our own (initdb as the postgres user, as initdb refuses root)."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="citymgmt-pg-"))
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/citymgmt"

    def _as_postgres(self, *args, **kwargs):
        cmd = [str(a) for a in args]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=True, capture_output=True, text=True, **kwargs)

    def init(self):
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self._as_postgres(PG_BIN / "initdb", "-D", self.dir / "data", "-A", "trust", "-U", "postgres")
        return self.start()

    def start(self):
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        self._as_postgres(PG_BIN / "pg_ctl", "-D", self.dir / "data", "-o", opts, "-l", self.dir / "log", "-w", "start")
        return self

    def stop(self):
        self._as_postgres(PG_BIN / "pg_ctl", "-D", self.dir / "data", "-m", "fast", "-w", "stop")

    def destroy(self):
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


def copy_schema(source_url: str, target: OwnPostgres) -> None:
    """The test database's schema (and its migration records) into our own PostgreSQL: seconds,
    where `migrate` takes a minute on a busy machine."""
    import psycopg

    with psycopg.connect(f"postgresql://postgres@127.0.0.1:{target.port}/postgres", autocommit=True) as conn:
        conn.execute("CREATE DATABASE citymgmt")
    dump = subprocess.run(["pg_dump", "--no-owner", "-d", source_url.replace("postgres://", "postgresql://")],
                          check=True, capture_output=True)  # fmt: skip
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", target.url.replace("postgres://", "postgresql://")],
                   input=dump.stdout, check=True, capture_output=True)  # fmt: skip


def test_postgres_restart_answers_503_json_while_down_and_the_processes_serve_again_by_themselves(db):
    need_postgres_and_redis()
    if not (PG_BIN / "pg_ctl").exists():
        pytest.skip(f"needs PostgreSQL's server binaries in {PG_BIN}")
    from django.db import connection

    from tests.cluster import Cluster

    pg = OwnPostgres()
    cluster = None
    try:
        pg.init()
        copy_schema(database_url(connection.settings_dict), pg)
        env = {**os.environ, "DATABASE_URL": pg.url, "CACHE_KEY_PREFIX": "pgr", "REDIS_URL": settings.REDIS_URL}
        made = subprocess.run(
            [sys.executable, "manage.py", "shell", "--no-imports", "-c",
             "from tests.factories import build_city; from mobile_api.models import ApiToken; "
             "c = build_city(); print(ApiToken.issue(c.user('inspector1'))[1])"],
            cwd=ROOT, env=env, check=True, capture_output=True, text=True,
        )  # fmt: skip
        token = made.stdout.strip().splitlines()[-1]
        cluster = Cluster(pg.url, settings.REDIS_URL, web=2, workers=1, env={"CACHE_KEY_PREFIX": "pgr"}).start()
        pids = [w.proc.pid for w in cluster.webs] + [w.proc.pid for w in cluster.workers]
        wait_grid_known(cluster, token)

        async def one_report(key):
            async with aiohttp.ClientSession() as s:
                return await report(s, cluster.url, token, key, lng=LNG, lat=LAT, attempts=1)

        assert asyncio.run(one_report("pg-before"))[0] == 201

        pg.stop()
        down = [get(f"{cluster.url}/api/v1/me", token) for _ in range(4)]
        for status, body, took in down:
            assert status == 503, body
            assert body["error"]["code"] == "unavailable"
            assert took < 10
        with pytest.raises(AssertionError, match="503"):
            asyncio.run(one_report("pg-during"))
        status, body, _ = get(f"{cluster.url}/readyz")
        assert status == 503 and body["checks"]["database"] == "unreachable"

        pg.start()
        back = time.monotonic()
        for web in cluster.webs:  # every process, not just one, serves again by itself
            while get(f"{web.url}/api/v1/me", token)[0] != 200:
                assert time.monotonic() < back + 45, cluster.logs()
                time.sleep(0.5)
        print(f"every process served again {time.monotonic() - back:.1f} s after PostgreSQL was back")
        assert asyncio.run(one_report("pg-after"))[0] == 201
        assert asyncio.run(one_report("pg-during"))[0] == 201  # the handset's retry goes through now
        assert [w.proc.pid for w in cluster.webs] + [w.proc.pid for w in cluster.workers] == pids
        assert all(w.proc.poll() is None for w in [*cluster.webs, *cluster.workers])
    finally:
        if cluster:
            cluster.stop()
        pg.destroy()
