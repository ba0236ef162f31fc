"""Shared fixtures: a small city (two cells, two departments, two categories, one user per role)
and a helper that drives a case to any state through the real workflow."""

import io
import os
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.factories import CELL_H, CELL_W, LAT, LNG, City, build_city, square  # noqa: F401 (tests import these from here)

# Production's PBKDF2 costs ~0.3 s a user; tests create many users and check no password strength.
settings.PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Tuesday morning, well inside working hours, away from holidays.
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)


# --------------------------------------------------------------------------- the clock moved ahead

# CITYMGMT_TEST_CLOCK_SHIFT_DAYS=365 runs the whole session a year ahead (the clock still ticks):
# a test that only passes on today's date is a date bomb, and this finds it before the date does
# (.ci/run runs the SQLite pass so). Tests must use fixed clocks (T0, time_machine) or dates
# relative to now.
#
# Tests that talk to another process (the browser tests' daphne, Chromium's own JavaScript clock,
# tests/citymgmt/test_redis_outage.py's daphne) run on the real clock: time-machine moves only
# this process's clock, and a server a year behind its test (reports "from the future", tokens
# "expired") would test nothing but the mismatch. They are the tests that use the `daphne`,
# `live_url` or `browser` fixtures, or carry the `real_clock` marker.
CLOCK_SHIFT_DAYS = int(os.environ.get("CITYMGMT_TEST_CLOCK_SHIFT_DAYS") or 0)
OTHER_PROCESS_FIXTURES = {"daphne", "live_url", "browser"}


class ShiftedClock:
    def __init__(self, days: int):
        self.days = days
        self.traveller = None

    def start(self):
        self.traveller = time_machine.travel(datetime.now(UTC) + timedelta(days=self.days), tick=True)
        self.traveller.start()

    def stop(self):
        self.traveller.stop()  # back to the real clock (time-machine's patches read the real time)
        self.traveller = None


@pytest.fixture(scope="session", autouse=True)
def _shifted_clock():
    if not CLOCK_SHIFT_DAYS:
        yield None
        return
    clock = ShiftedClock(CLOCK_SHIFT_DAYS)
    clock.start()
    yield clock
    if clock.traveller is not None:
        clock.stop()


@pytest.fixture(autouse=True)
def _real_clock_with_other_processes(request, _shifted_clock):
    other_process = request.node.get_closest_marker("real_clock") or OTHER_PROCESS_FIXTURES & set(request.fixturenames)
    if _shifted_clock is None or not other_process:
        yield
        return
    _shifted_clock.stop()
    yield
    _shifted_clock.start()


def jpeg(color=(200, 30, 30), size=(64, 48), name="photo.jpg") -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "JPEG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """A request with `Accept-Language: en` leaves English active in this thread (LocaleMiddleware
    activates, nothing deactivates): the next test would read English where it expects Chinese."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_reference_caches():
    """Rolled-back test transactions send no signals: start every test with no cached grid, calendar
    or reference table.

    (Tests with Redis use a database of their own, 15 in CI, since clearing the cache flushes it.)"""
    from django.core.cache import cache

    from city import calendar, gazetteer, grid, reference

    cache.clear()
    for cached in (calendar, grid, gazetteer, reference):
        cached.invalidate()
    yield
    for cached in (calendar, grid, gazetteer, reference):
        cached.invalidate()


@pytest.fixture
def city(db):
    return build_city()


# The path from `reported` to each state, as (action, actor, params, photos?). Cases are public
# reports by the call-taker (so every state is reachable), in category `rubbish`.
PATHS = {
    "reported": [],
    "verifying": [("send_verify", "calltaker", {"inspector": "inspector1"})],
    "registered": [
        ("send_verify", "calltaker", {"inspector": "inspector1"}),
        ("verify", "inspector1", {"result": "exists"}),
        ("register", "supervisor", {}),
    ],
}
PATHS["dispatched"] = PATHS["registered"] + [("dispatch", "dispatcher", {"department": "huanwei"})]
PATHS["suspended"] = PATHS["dispatched"] + [
    ("request_suspend", "staff_huanwei", {"reason": "施工"}),
    ("decide_suspend", "supervisor", {"approve": True}),
]
# The grid's inspector (inspector1) is sent to check automatically after handling.
PATHS["checking"] = PATHS["dispatched"] + [("handle", "staff_huanwei", {"note": "已清理", "_photo": True})]
PATHS["checked"] = PATHS["checking"] + [("check", "inspector1", {"result": "passed"})]  # 待结案
PATHS["closed"] = PATHS["checked"] + [("close", "supervisor", {})]
PATHS["rejected"] = [("reject", "calltaker", {"reason": "不属实"})]
PATHS["cancelled"] = [("cancel", "supervisor", {"reason": "作废"})]
PATHS["duplicate"] = "special"
PATHS["handled"] = "special"


@pytest.fixture
def make_case(city):
    """make_case(state="reported", **report_kwargs) → a case driven to `state` by the workflow."""
    from dispatch import services

    def run_path(number, steps, now):
        for action, actor, params in steps:
            params = dict(params)
            files = [jpeg()] if params.pop("_photo", False) else []
            services.act(number, action, city.user(actor), params=params, photo_files=files, now=now)

    def make(state="reported", now=T0, **kwargs):
        defaults = dict(
            actor=city.user("calltaker"),
            source="call_taker",
            category=city.categories["rubbish"],
            description="路边垃圾堆积",
            lng=LNG,
            lat=LAT,
            reporter_name="王女士",
            reporter_phone="13812341234",
        )
        defaults.update(kwargs)
        case, _ = services.report_case(now=now, **defaults)
        if state == "duplicate":
            master = make("registered", now=now)
            services.act(case.number, "merge", city.user("supervisor"), params={"master": master.number}, now=now)
        elif state == "handled":
            # With nobody responsible for the cell, a handled case waits for a manual send_check.
            from city.models import ResponsibilityGrid

            run_path(case.number, PATHS["dispatched"], now)
            for rgrid in ResponsibilityGrid.objects.all():
                saved = list(rgrid.inspectors.all())
                rgrid.inspectors.clear()
                run_path(case.number, [("handle", "staff_huanwei", {"note": "已清理", "_photo": True})], now)
                rgrid.inspectors.set(saved)
        else:
            run_path(case.number, PATHS[state], now)
        case.refresh_from_db()
        assert case.state == state, (case.state, state)
        return case

    return make


# --------------------------------------------------------------------------- browser tests


def pytest_collection_modifyitems(config, items):
    """Browser tests run last: Playwright's sync API keeps an event loop running in the main thread
    while the browser lives, and asyncio tests (consumers) cannot start inside it."""
    items.sort(key=lambda item: "browser" in getattr(item, "fixturenames", ()))


@pytest.fixture(scope="session")
def daphne(django_db_setup, django_db_blocker):
    """A real daphne process serving the test database (use with `transactional_db`)."""
    from django.db import connection

    from tests.live import Daphne

    server = Daphne(connection.settings_dict).start()
    yield server
    server.stop()


@pytest.fixture
def live_url(daphne, transactional_db):
    return daphne.url


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium, driven by Playwright (which never downloads a browser here)."""
    import os

    from tests.live import CHROMIUM, CHROMIUM_ARGS

    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the ORM calls tests make between
    # page actions are still plain synchronous code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()
