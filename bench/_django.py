"""Shared set-up for benchmarks: a throwaway database and a minimal city, without pytest."""

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def setup(database: str, name: str, fresh: bool = True) -> str:
    """Point Django at a fresh database (`sqlite` file or `postgres` db `name`) and migrate it
    (`fresh=False`: a PostgreSQL database kept from an earlier run, migrated forward). With a fresh
    one and `DATABASE_URL` naming a PostgreSQL database, that database is used instead of `name`
    (emptied first): several people benchmarking on one server each keep their own."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citymgmt.settings")
    os.environ.setdefault("DEBUG", "1")
    os.environ["LOG_LEVEL"] = "WARNING"
    if database == "postgres" and not fresh:
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{name}"
    elif database == "postgres":
        import psycopg

        name = bench_database_name(name)
        with psycopg.connect(PG_ADMIN_URL.replace("postgres://", "postgresql://"), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if fresh or not exists:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{name}"
    else:
        path = Path(tempfile.gettempdir()) / f"{name}-{os.getpid()}.sqlite3"  # two runs at once never share it
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return os.environ["DATABASE_URL"]


def bench_database_name(name: str) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return url.rsplit("/", 1)[-1].split("?", 1)[0] or name
    return name


def teardown(database: str, name: str) -> None:
    from django.db import connections

    connections.close_all()
    if database == "postgres":
        import psycopg

        name = bench_database_name(name)
        with psycopg.connect(PG_ADMIN_URL.replace("postgres://", "postgresql://"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        path = os.environ["DATABASE_URL"].removeprefix("sqlite:///")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def minimal_city():
    """The tests' city (tests/factories.py) on a 10×10 grid: (category, department, users)."""
    from tests.factories import build_city

    c = build_city(columns=10, rows=10, origin=(104.165, 36.540), password=None)
    users = dict(c.users, staff=c.users["staff_huanwei"])
    return c.categories["rubbish"], c.departments["huanwei"], users


def percentile(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    k = min(len(values) - 1, round(p / 100 * (len(values) - 1)))
    return values[k]
