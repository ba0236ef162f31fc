"""Browser-test support: a real daphne serving the test database, and headless Chromium.

Used through the fixtures `live_server_url` / `daphne` and `browser` in tests/conftest.py. The
server is a separate process, so tests that use it need `transactional_db` (committed data).
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tests import testenv

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"]
ARTIFACTS = ROOT / "test-artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url(settings_dict) -> str:
    if isinstance(settings_dict, str):
        return settings_dict
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings_dict['NAME']}"
    user = settings_dict.get("USER") or "postgres"
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{settings_dict['NAME']}"


class Daphne:
    """One daphne process on a fixed port; stop() and start() again to simulate a server restart."""

    def __init__(self, settings_dict, *, media: str | None = None, env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.media = media or tempfile.mkdtemp(prefix="citymgmt-media-")
        self.log_path = Path(tempfile.gettempdir()) / f"citymgmt-daphne-{self.port}.log"
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(settings_dict),
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "SECURE_HSTS_SECONDS": "0",
            "MEDIA_ROOT": self.media,
            # The production pool (the test process itself runs without one: tests/testenv.py).
            "DATABASE_POOL_MAX": testenv.TEST_PROCESS_POOL_MAX or "4",
            **(env or {}),
        }
        self.proc = None

    def start(self):
        return self.spawn().wait_ready()

    def spawn(self):
        """Start the process without waiting for it (several can then start at once)."""
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "citymgmt.asgi:application"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        return self

    def wait_ready(self):
        deadline = time.monotonic() + 90  # a loaded 2-core CI machine starts daphne slowly
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"daphne exited: {self.log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=10) as r:  # noqa: S310 (our loopback)
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"daphne did not answer: {self.log_path.read_text()[-3000:]}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""


def session_cookie_for(user, url: str) -> dict:
    """A signed-in session for `user`, as a cookie for a Playwright context (the login page itself
    is tested on its own)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    return {"name": settings.SESSION_COOKIE_NAME, "value": value, "url": url}


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


class RedisServer:
    """A throwaway redis-server on a free port, no persistence: stop() and start() again."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            if (
                subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True).stdout.strip()
                == b"PONG"
            ):
                return self
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


def page_on_a_closed_network(ctx, base_url: str):
    """A new page of `ctx` that may reach only `base_url` (and local sockets), as on a city's
    private network: anything else is aborted and listed in `outside`; failed requests, page
    errors and 4xx/5xx answers are listed in `failed`. Returns (page, outside, failed)."""
    outside, failed = [], []

    def guard(route):
        if route.request.url.startswith((base_url, "ws://127.0.0.1")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    ctx.route("**/*", guard)
    page = ctx.new_page()
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.on("pageerror", lambda e: failed.append(f"page error: {e}"))
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    return page, outside, failed
