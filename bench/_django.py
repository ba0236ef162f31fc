"""Shared set-up for benchmarks: a throwaway database and a minimal city, without pytest."""

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def setup(database: str, name: str) -> str:
    """Point Django at a fresh database (`sqlite` file or `postgres` db `name`) and migrate it."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citymgmt.settings")
    os.environ.setdefault("DEBUG", "1")
    os.environ["LOG_LEVEL"] = "WARNING"
    if database == "postgres":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL.replace("postgres://", "postgresql://"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{name}"
    else:
        path = Path(tempfile.gettempdir()) / f"{name}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return os.environ["DATABASE_URL"]


def teardown(database: str, name: str) -> None:
    from django.db import connections

    connections.close_all()
    if database == "postgres":
        import psycopg

        with psycopg.connect(PG_ADMIN_URL.replace("postgres://", "postgresql://"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def minimal_city():
    """Groups, two departments, one category with limits, a 10×10 grid, one user per role."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from city import calendar
    from city.models import (
        Category,
        Community,
        Department,
        District,
        GridCell,
        ResponsibilityGrid,
        Role,
        StaffProfile,
        Street,
        TimeLimit,
    )  # fmt: skip

    calendar.ensure_default_work_periods()
    for role in Role.values:
        Group.objects.get_or_create(name=role)
    dept = Department.objects.create(code="huanwei", name="环卫")
    district = District.objects.create(code="620402", name="白银区")
    street = Street.objects.create(district=district, code="620402001", name="人民路街道")
    community = Community.objects.create(street=street, code="620402001001", name="金鱼社区")
    w, h, lng0, lat0 = 0.0011183, 0.000899, 104.165, 36.540
    cells = []
    for i in range(100):
        x, y = lng0 + (i % 10) * w, lat0 + (i // 10) * h
        ring = [[x, y], [x + w, y], [x + w, y + h], [x, y + h], [x, y]]
        cells.append(GridCell(
            community=community, code=f"620402001001{i + 1:02d}", geometry={"type": "Polygon", "coordinates": [ring]},
            area_m2=10000, min_lng=x, min_lat=y, max_lng=x + w, max_lat=y + h, center_lng=x + w / 2,
            center_lat=y + h / 2,
        ))  # fmt: skip
    GridCell.objects.bulk_create(cells)
    category = Category.objects.create(
        kind="event", major_code="01", minor_code="02", major_name="市容环境", name="暴露垃圾", default_department=dept
    )
    for stage, (amount, unit) in {
        "register": (30, "minutes"), "dispatch": (30, "minutes"), "verify": (60, "minutes"),
        "check": (60, "minutes"), "handle": (4, "work_hours"),
    }.items():  # fmt: skip
        for urgency in ("normal", "urgent"):
            TimeLimit.objects.create(category=category, stage=stage, urgency=urgency, amount=amount, unit=unit)
    User = get_user_model()
    users = {}
    for username, role, department in [
        ("inspector1", Role.INSPECTOR, None), ("supervisor", Role.SUPERVISOR, None),
        ("dispatcher", Role.DISPATCHER, None), ("staff", Role.DEPARTMENT_STAFF, dept),
    ]:  # fmt: skip
        user = User.objects.create(username=username)
        user.groups.add(Group.objects.get(name=role))
        StaffProfile.objects.create(user=user, department=department)
        users[username] = user
    rgrid = ResponsibilityGrid.objects.create(code="620402001001", name="金鱼社区")
    rgrid.cells.set(GridCell.objects.all())
    rgrid.inspectors.set([users["inspector1"]])
    return category, dept, users


def percentile(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    k = min(len(values) - 1, round(p / 100 * (len(values) - 1)))
    return values[k]
