"""Shared fixtures: a small city (two cells, two departments, two categories, one user per role)
and a helper that drives a case to any state through the real workflow."""

import io
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

# Production's PBKDF2 costs ~0.3 s a user; tests create many users and check no password strength.
settings.PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Tuesday morning, well inside working hours, away from holidays.
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)
LNG, LAT = 104.1700, 36.5450  # inside cell 62040200100101
CELL_W, CELL_H = 0.0011183, 0.000899


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


def square(lng, lat, w=CELL_W, h=CELL_H):
    return {
        "type": "Polygon",
        "coordinates": [[[lng, lat], [lng + w, lat], [lng + w, lat + h], [lng, lat + h], [lng, lat]]],
    }


def jpeg(color=(200, 30, 30), size=(64, 48), name="photo.jpg") -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "JPEG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


@pytest.fixture(autouse=True)
def _fresh_reference_caches():
    """Rolled-back test transactions send no signals: start every test with no cached grid or calendar.

    (Tests with Redis use a database of their own, 15 in CI, since clearing the cache flushes it.)"""
    from django.core.cache import cache

    from city import calendar, grid

    cache.clear()
    calendar.invalidate()
    grid.invalidate()
    yield
    calendar.invalidate()
    grid.invalidate()


@dataclass
class City:
    users: dict = field(default_factory=dict)
    departments: dict = field(default_factory=dict)
    categories: dict = field(default_factory=dict)
    cells: list = field(default_factory=list)

    def user(self, name):
        return self.users[name]


@pytest.fixture
def city(db):
    from city import calendar, grid
    from city.models import (
        Category,
        Community,
        Department,
        District,
        GridCell,
        ResponsibilityGrid,
        Role,
        RoutingRule,
        StaffProfile,
        Street,
        TimeLimit,
    )

    calendar.ensure_default_work_periods()
    c = City()
    for role in Role.values:
        Group.objects.get_or_create(name=role)
    for code, name in [("huanwei", "环卫"), ("shizheng", "市政")]:
        c.departments[code] = Department.objects.create(code=code, name=name)

    district = District.objects.create(code="620402", name="白银区")
    street = Street.objects.create(district=district, code="620402001", name="人民路街道")
    community = Community.objects.create(street=street, code="620402001001", name="金鱼社区")
    x0, y0 = LNG - CELL_W / 2, LAT - CELL_H / 2
    for i in range(2):
        x = x0 + i * CELL_W
        c.cells.append(
            GridCell.objects.create(
                community=community,
                code=f"6204020010010{i + 1}",
                geometry=square(x, y0),
                area_m2=10000,
                min_lng=x,
                min_lat=y0,
                max_lng=x + CELL_W,
                max_lat=y0 + CELL_H,
                center_lng=x + CELL_W / 2,
                center_lat=y0 + CELL_H / 2,
            )
        )
    grid.invalidate()

    def category(kind, major, minor, name, dept, handle, auto=False):
        cat = Category.objects.create(
            kind=kind, major_code=major, minor_code=minor, major_name="市容环境", name=name,
            default_department=c.departments[dept], auto_dispatch=auto,
        )  # fmt: skip
        limits = {"register": (30, "minutes"), "dispatch": (30, "minutes"), "verify": (60, "minutes")}
        limits |= {"check": (60, "minutes"), "handle": handle}
        for stage, (amount, unit) in limits.items():
            TimeLimit.objects.create(category=cat, stage=stage, urgency="normal", amount=amount, unit=unit)
            TimeLimit.objects.create(category=cat, stage=stage, urgency="urgent", amount=max(1, amount // 2), unit=unit)
        RoutingRule.objects.create(category=cat, area_code="", department=c.departments[dept])
        return cat

    c.categories["rubbish"] = category("event", "01", "02", "暴露垃圾", "huanwei", (4, "work_hours"))
    c.categories["manhole"] = category("component", "01", "03", "雨水井盖", "shizheng", (120, "minutes"), auto=True)

    User = get_user_model()

    def user(username, role, department=None):
        u = User.objects.create_user(username=username, password="pw-12319-test")
        u.groups.add(Group.objects.get(name=role))
        StaffProfile.objects.create(user=u, department=department)
        c.users[username] = u
        return u

    inspector = user("inspector1", Role.INSPECTOR)
    user("inspector2", Role.INSPECTOR)
    user("calltaker", Role.CALL_TAKER)
    user("supervisor", Role.SUPERVISOR)
    user("dispatcher", Role.DISPATCHER)
    user("staff_huanwei", Role.DEPARTMENT_STAFF, c.departments["huanwei"])
    user("staff_shizheng", Role.DEPARTMENT_STAFF, c.departments["shizheng"])
    user("leader", Role.LEADER)
    user("admin", Role.ADMIN)
    rgrid = ResponsibilityGrid.objects.create(code="620402001001", name="金鱼社区责任网格")
    rgrid.cells.set(c.cells)
    rgrid.inspectors.set([inspector])
    return c


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
PATHS["closed"] = PATHS["checking"] + [("check", "inspector1", {"result": "passed"})]
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
