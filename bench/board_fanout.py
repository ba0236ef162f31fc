"""Live boards through daphne + Redis: commit → receipt latency on every board, and events lost
across forced reconnects. Both channels_redis layers are measured in the same run.

For each layer (core `RedisChannelLayer`, `RedisPubSubChannelLayer`) and each board count:
  - a stream of new cases (report_case on PostgreSQL); latency from the commit to the frame
    arriving on each board, p50/p99 over every (event, board) pair;
  - baseline: a bare `group_send` of a message of the same size to the same boards;
  - 100 forced reconnects while the stream runs: each board resumes from its last id; every
    board must end with every event exactly once (lost must be 0).

Boards are aiohttp websocket clients in this process (one event loop); the server is one daphne
process, or with `--processes N` N daphne processes behind nginx (tests/cluster.py, as
scripts/cluster runs them), the boards spread over them by nginx and the cases written in this
process, so most events cross from one process to another through Redis. Everything shares the
machine's cores, which the figures include.

    REDIS_URL=redis://127.0.0.1:6379/14 python bench/board_fanout.py [--boards 100 500] [--events 60]
    REDIS_URL=… python bench/board_fanout.py --processes 2 --boards 500 --layers pubsub
"""

import argparse
import asyncio
import json
import os
import random
import threading
import time

import aiohttp
from _django import minimal_city, percentile, setup, teardown

LAYERS = {
    "core": "channels_redis.core.RedisChannelLayer",
    "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--boards", type=int, nargs="+", default=[100, 500])
    parser.add_argument("--events", type=int, default=60)
    parser.add_argument("--rate", type=float, default=5.0, help="new cases per second")
    parser.add_argument("--reconnects", type=int, default=100)
    parser.add_argument("--layers", nargs="+", choices=sorted(LAYERS), default=sorted(LAYERS))
    parser.add_argument("--processes", type=int, default=1, help="daphne processes (>1: behind nginx)")
    parser.add_argument("--db-name", default="citymgmt_bench_fanout", help="the throwaway PostgreSQL database")
    args = parser.parse_args()
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
    name = args.db_name
    setup("postgres", name)
    try:
        run(args)
    finally:
        teardown("postgres", name)


def use_layer(backend: str) -> None:
    """Point this process (the writer) and the next daphne at one channels_redis layer."""
    from channels.layers import channel_layers
    from django.conf import settings

    os.environ["CHANNEL_LAYER_BACKEND"] = backend
    settings.CHANNEL_LAYERS["default"]["BACKEND"] = backend
    channel_layers.backends = {}


def run(args):
    from django.db import connection

    from tests.cluster import Cluster
    from tests.live import Daphne, session_cookie_for

    _category, _dept, users = minimal_city()
    where = "one daphne" if args.processes == 1 else f"{args.processes} daphne behind nginx"
    print(f"{args.events} new cases at {args.rate}/s per run; {where}; boards in one client process")
    print(f"{'layer':<7} {'boards':>6} {'what':<26} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  notes")
    for layer in args.layers:
        use_layer(LAYERS[layer])
        if args.processes > 1:
            server = Cluster(connection.settings_dict, os.environ["REDIS_URL"], web=args.processes, workers=0).start()
        else:
            server = Daphne(connection.settings_dict).start()
        try:
            cookie = session_cookie_for(users["dispatcher"], server.url)
            for boards in args.boards:
                try:
                    stats = asyncio.run(measure(server, cookie, boards, args, users["inspector1"]))
                except Exception as exc:  # a layer that breaks under the load is a result too
                    print(f"{layer:<7} {boards:>6} FAILED: {type(exc).__name__}: {exc}")
                    errors = server.log().count("Timeout reading from")
                    print(f"{'':<14} daphne log: {errors} 'Timeout reading from' Redis errors")
                    continue
                for what, values, note in stats:
                    figures = (
                        f"{percentile(values, 50) * 1000:8.1f} {percentile(values, 99) * 1000:8.1f}"
                        f" {max(values) * 1000:8.1f}"
                        if values
                        else f"{'':>26}"
                    )
                    print(f"{layer:<7} {boards:>6} {what:<26} {figures}  {note}")
        finally:
            server.stop()
        if args.processes > 1:
            counts = {}
            for web in server.webs:
                counts[web.port] = web.log().count("WSCONNECT /ws/board/")
            print(f"{'':<14} sockets accepted per daphne process: {counts}")


class Board:
    """One board: keeps the last id, dedupes, resumes after a reconnect (as live.js does)."""

    def __init__(self, session, url, headers):
        self.session, self.url, self.headers = session, url, headers
        self.last_id = 0
        self.seen: dict[int, int] = {}  # event id → times applied
        self.arrivals: dict[str, float] = {}  # case number or probe id → first arrival
        self.ws = None
        self.synced = asyncio.Event()
        self.reconnecting = False
        self.server_closes = 0

    async def connect(self, attempts=8):
        self.synced.clear()
        for attempt in range(attempts):
            try:
                self.ws = await self.session.ws_connect(self.url, headers=self.headers, heartbeat=None)
                break
            except (OSError, aiohttp.ClientError):  # a busy server refused or reset: back off, as live.js does
                if attempt == attempts - 1:
                    raise
                await asyncio.sleep(0.2 * 2**attempt * (0.5 + random.random()))
        await self.ws.send_str(json.dumps({"type": "resume", "since": self.last_id}))

    async def read(self):
        while True:
            try:
                msg = await self.ws.receive()
            except Exception:
                msg = None
            if msg is None or msg.type.name in ("CLOSE", "CLOSED", "CLOSING", "ERROR"):
                if self.reconnecting:
                    await asyncio.sleep(0.05)  # reconnect() is swapping self.ws
                    continue
                self.server_closes += 1  # the server dropped us: come back and resume, as live.js does
                await asyncio.sleep(0.2 * (0.5 + random.random()))
                try:
                    await self.connect()
                except (OSError, aiohttp.ClientError):
                    pass
                continue
            now = time.perf_counter()
            data = json.loads(msg.data)
            if data.get("type") == "synced":
                self.synced.set()
            elif data.get("kind") == "inspector.position":
                self.arrivals.setdefault(data["inspector"]["username"], now)
            elif data.get("type") == "event" and data.get("id"):
                if data["id"] <= self.last_id:
                    continue
                self.last_id = data["id"]
                self.seen[data["id"]] = self.seen.get(data["id"], 0) + 1
                self.arrivals.setdefault(data["case"]["number"], now)

    async def reconnect(self):
        self.reconnecting = True
        try:
            await self.ws.close()
            await self.connect()
        finally:
            self.reconnecting = False


async def measure(server, cookie, n_boards, args, reporter):
    from asgiref.sync import sync_to_async
    from channels.layers import get_channel_layer

    ws_url = server.url.replace("http://", "ws://") + "/ws/board/"
    headers = {"Origin": server.url, "Cookie": f"{cookie['name']}={cookie['value']}"}
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        boards = [Board(session, ws_url, headers) for _ in range(n_boards)]
        for i in range(0, n_boards, 25):  # connect in waves, as a shift starting would
            await asyncio.gather(*(b.connect() for b in boards[i : i + 25]))
        readers = [asyncio.create_task(b.read()) for b in boards]
        await asyncio.wait_for(asyncio.gather(*(b.synced.wait() for b in boards)), timeout=120)

        # 1. Baseline: a bare group_send of an event-sized message, straight to every board.
        layer = get_channel_layer()
        sent = {}
        payload = "x" * 900  # about the size of a case event
        for i in range(args.events):
            key = f"probe-{i}"
            sent[key] = time.perf_counter()
            # An inspector.position message: the same group_send and consumer path, not in the log.
            message = {"type": "event", "kind": "inspector.position", "inspector": {"username": key, "pad": payload}}
            await layer.group_send("board", {"type": "inspector.position", "message": message})
            await asyncio.sleep(1 / args.rate)
        # Late is measured, not dropped: wait (up to 30 s) for stragglers before counting.
        await settle(lambda: all(k in b.arrivals for k in sent for b in boards))
        bare = [b.arrivals[k] - t for k, t in sent.items() for b in boards if k in b.arrivals]
        bare_missing = sum(k not in b.arrivals for k in sent for b in boards)

        # 2. New cases through the workflow: commit → receipt on every board.
        commits = await sync_to_async(write_cases, thread_sensitive=False)(reporter, args.events, args.rate, 0)
        await settle(lambda: all(n in b.arrivals for n in commits for b in boards))
        live = [b.arrivals[n] - t for n, t in commits.items() for b in boards if n in b.arrivals]
        live_missing = sum(n not in b.arrivals for n in commits for b in boards)

        # 3. Forced reconnects while cases keep coming: nothing may be lost or applied twice.
        writer = asyncio.create_task(
            sync_to_async(write_cases, thread_sensitive=False)(reporter, args.events, args.rate, args.events)
        )
        for _ in range(args.reconnects):
            await random.choice(boards).reconnect()
            await asyncio.sleep(args.events / args.rate / args.reconnects)
        await writer
        first = min(min(b.seen) for b in boards if b.seen)
        expected = await sync_to_async(event_ids_since, thread_sensitive=False)(first)
        # Lost means never came, not late: a board resuming under load may take seconds to catch up.
        await settle(lambda: all(expected <= set(b.seen) for b in boards))
        lost = sum(len(expected - set(b.seen)) for b in boards)
        doubled = sum(1 for b in boards for count in b.seen.values() if count > 1)
        closes = sum(b.server_closes for b in boards)

        for task in readers:
            task.cancel()
        for b in boards:
            await b.ws.close()
    return [
        ("bare group_send", bare, f"never arrived: {bare_missing} (nothing behind it to fill in)"),
        ("case commit → board", live, f"never arrived: {live_missing}"),
        (
            f"{args.reconnects} forced reconnects",
            None,
            f"events lost {lost}, applied twice {doubled}; server closed a socket {closes}×",
        ),
    ]


async def settle(done, timeout=30.0):
    deadline = time.perf_counter() + timeout
    while not done() and time.perf_counter() < deadline:
        await asyncio.sleep(0.25)


def write_cases(reporter, count, rate, offset):
    """Report `count` cases at `rate`/s; returns number → the moment its transaction committed."""
    from django.db import close_old_connections, transaction

    from dispatch import services

    commits, lock = {}, threading.Lock()
    try:
        for i in range(count):
            stamp = {}
            with transaction.atomic():
                # Registered before report_case's broadcast, so it runs first at commit.
                transaction.on_commit(lambda s=stamp: s.setdefault("t", time.perf_counter()))
                case, _ = services.report_case(
                    actor=reporter, source="inspector", category="E0102", description=f"fanout {offset + i}",
                    lng=104.1655 + (i % 97) * 0.0001, lat=36.5405 + (i % 80) * 0.0001,
                )  # fmt: skip
            with lock:
                commits[case.number] = stamp["t"]
            time.sleep(1 / rate)
    finally:
        close_old_connections()
    return commits


def event_ids_since(first_id):
    from dispatch.models import CaseEvent

    return set(CaseEvent.objects.filter(id__gte=first_id).values_list("id", flat=True))


if __name__ == "__main__":
    main()
