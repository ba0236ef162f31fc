"""Clients for the cluster tests: board websockets that resume as live.js does, and HTTP helpers
that sign in, file reports with an Idempotency-Key and retry them as a handset would."""

import asyncio
import json
import random
import time

import aiohttp

CSRF = "k" * 32  # a CSRF secret of our choosing, sent as cookie and header (as the consoles do)


class Board:
    """One board socket: keeps the last id, applies each event once, reconnects and resumes."""

    def __init__(self, session, base_url, cookie, since=0):
        self.session = session
        self.url = base_url.replace("http://", "ws://") + "/ws/board/"
        self.headers = {"Origin": base_url, "Cookie": cookie}
        self.last_id = since  # the page's snapshot was taken at this event id
        self.applied: dict[int, int] = {}  # event id → times applied
        self.arrivals: dict[tuple[str, str], float] = {}  # (case number, kind/action) → first arrival
        self.upstream = None  # which daphne nginx chose (host:port)
        self.reconnects = 0
        self.ws = None
        self.synced = asyncio.Event()
        self.task = None
        self.error = None
        self.frames = []  # the last frames received, for failure messages

    async def connect(self, attempts=30):
        self.synced.clear()
        for attempt in range(attempts):
            try:
                self.ws = await self.session.ws_connect(self.url, headers=self.headers, heartbeat=None)
                self.upstream = self.ws._response.headers.get("X-Citymgmt-Upstream")
                break
            except (OSError, aiohttp.ClientError):
                if attempt == attempts - 1:
                    raise
                await asyncio.sleep(min(2.0, 0.1 * 2**attempt) * (0.5 + random.random()))
        await self.ws.send_str(json.dumps({"type": "resume", "since": self.last_id}))

    def start(self):
        self.task = asyncio.create_task(self._read())
        return self

    async def _read(self):
        try:
            await self._read_forever()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # shown by the test that waits on this board
            self.error = exc
            raise

    async def _read_forever(self):
        while True:
            msg = await self.ws.receive()
            if msg.type != aiohttp.WSMsgType.TEXT:  # closed by the server (or its process died)
                self.reconnects += 1
                await asyncio.sleep(0.1 + 0.3 * random.random())
                await self.connect()
                continue
            data = json.loads(msg.data)
            self.frames = [*self.frames[-4:], msg.data[:300]]
            if data.get("type") == "synced":
                self.synced.set()
            elif data.get("type") == "resync":  # a page reloads its lists at this id, then streams
                self.last_id = max(self.last_id, data["last_id"])
                self.synced.set()
            elif data.get("type") == "event" and data.get("id"):
                if data["id"] <= self.last_id:
                    continue  # already applied (replay overlapping live delivery)
                self.last_id = data["id"]
                self.applied[data["id"]] = self.applied.get(data["id"], 0) + 1
                key = (data["case"]["number"], data.get("action") or data.get("kind"))
                self.arrivals.setdefault(key, time.time())

    async def wait_for(self, number, action, timeout):
        deadline = time.monotonic() + timeout
        while (number, action) not in self.arrivals:
            if time.monotonic() > deadline:
                return None
            await asyncio.sleep(0.01)
        return self.arrivals[(number, action)]

    async def close(self):
        if self.task:
            self.task.cancel()
        if self.ws:
            await self.ws.close()


def cookie_header(session_cookie: dict) -> str:
    return f"{session_cookie['name']}={session_cookie['value']}; csrftoken={CSRF}"


async def report(session, base_url, token, key, *, lng, lat, description="路边垃圾", attempts=40):
    """POST /api/v1/cases as a handset on a bad network: repeat with the same key until answered
    with 200/201 (network errors, 502/503 are repeated). Returns (status, body, tries)."""
    body = {"category": "E0102", "lng": lng, "lat": lat, "description": description}
    headers = {"Authorization": f"Token {token}", "Idempotency-Key": key}
    last = None
    for attempt in range(1, attempts + 1):
        try:
            async with session.post(f"{base_url}/api/v1/cases", json=body, headers=headers) as r:
                last = r.status
                data = await r.json(content_type=None)
                if r.status in (200, 201):
                    return r.status, data, attempt
                if r.status not in (502, 503, 504):
                    raise AssertionError(f"report {key}: {r.status} {data}")
        except (TimeoutError, OSError, aiohttp.ClientError, json.JSONDecodeError):
            pass
        if attempt < attempts:
            await asyncio.sleep(0.2 + 0.2 * random.random())
    raise AssertionError(f"report {key} never got through (last answer: {last})")
