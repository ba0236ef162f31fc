"""The wall's summary (maps.wall) on PostgreSQL with a month of a busy city's log.

Seeds N cases (default 100,000, reported over the last 30 days) and their events — report,
register, dispatch, handle (on time or late), close, red lights — about 4.5 events a case, then
times each part of the summary cold (no cache) and the whole /maps/api/wall.json response cold and
cached, with its bytes on the wire. Baseline in the same run: the old wall's figures
(maps.queries.today_figures, six numbers and nothing else).

    python bench/wall.py [--cases 100000]
"""

import argparse
import gzip
import os
import random
import time
from datetime import timedelta

from _django import minimal_city, setup, teardown


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the database, and reuse it if it is there")
    args = parser.parse_args()
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
    os.environ.pop("REDIS_URL", None)
    name = "citymgmt_wall_bench"
    if args.keep and reuse(name):
        run(args, seeded=True)
        return
    setup("postgres", name)
    try:
        run(args)
    finally:
        if not args.keep:
            teardown("postgres", name)


def reuse(name: str) -> bool:
    """Point Django at a database an earlier `--keep` run left, if there is one."""
    import sys

    import psycopg
    from _django import PG_ADMIN_URL, ROOT

    with psycopg.connect(PG_ADMIN_URL.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citymgmt.settings")
    os.environ.setdefault("DEBUG", "1")
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{name}"
    import django

    django.setup()
    return True


def seed(n_cases: int):
    from django.utils import timezone

    from city.models import GridCell
    from dispatch.models import Case, CaseEvent

    category, department, users = minimal_city()
    cells = list(GridCell.objects.values_list("id", "center_lng", "center_lat"))
    now = timezone.now()
    rng = random.Random(19)
    sources = ["inspector"] * 9 + ["call_taker"] * 5 + ["sms"] * 2 + ["voice", "open311", "open311"]
    cases, plans = [], []
    for i in range(n_cases):
        cell_id, lng, lat = cells[i % len(cells)]
        at = now - timedelta(minutes=rng.uniform(0, 60 * 24 * 30))
        steps = rng.choices([0, 1, 2, 3, 4], [10, 5, 20, 15, 50])[0]
        state = ["reported", "registered", "dispatched", "checking", "closed"][steps]
        light = "" if state == "closed" else rng.choice(["green", "green", "yellow", "red"])
        cases.append(
            Case(
                number=f"E0102{i:012d}", category=category, cell_id=cell_id, source=rng.choice(sources),
                lng=lng, lat=lat, state=state, light=light, reported_at=at,
                department=department if steps >= 2 else None,
            )
        )  # fmt: skip
        plans.append((at, steps, light))
    for start in range(0, n_cases, 10_000):
        Case.objects.bulk_create(cases[start : start + 10_000])
    ids = dict(Case.objects.values_list("number", "id"))
    events = []
    dept = {"department": department.code}
    for case, (at, steps, light) in zip(cases, plans, strict=True):
        cid = ids[case.number]

        def ev(action, frm, to, minutes, data=None, cid=cid, at=at):
            return CaseEvent(
                case_id=cid, kind="case.updated", action=action, from_state=frm, to_state=to,
                actor_role="system", created_at=min(now, at + timedelta(minutes=minutes)), data=data or {},
            )  # fmt: skip

        events.append(ev("report", "", "reported", 0, {"source": case.source}))
        if steps >= 1:
            events.append(ev("register", "reported", "registered", 10))
        if steps >= 2:
            events.append(ev("dispatch", "registered", "dispatched", 20, dept))
        if steps >= 3:
            events.append(ev("handle", "dispatched", "handled", 200, dept | {"on_time": rng.random() < 0.85}))
        if steps >= 4:
            events.append(ev("close", "checked", "closed", 300, dept))
        if light == "red":
            events.append(ev("warn", case.state, case.state, 250, dept | {"light": "red"}))
        if len(events) >= 20_000:
            CaseEvent.objects.bulk_create(events)
            events = []
    CaseEvent.objects.bulk_create(events)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # the planner's statistics, as autovacuum would have them
    return users["leader"], CaseEvent.objects.count()


def timed(fn):
    t = time.perf_counter()
    result = fn()
    return (time.perf_counter() - t) * 1000, result


def run(args, seeded=False):
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.test import Client

    from dispatch.models import Case, CaseEvent
    from maps import queries, wall

    if seeded:
        leader, n_events = get_user_model().objects.get(username="leader"), CaseEvent.objects.count()
        print(f"reused {Case.objects.count():,} cases and {n_events:,} events (PostgreSQL)")
    else:
        t = time.perf_counter()
        leader, n_events = seed(args.cases)
        print(f"seeded {args.cases:,} cases and {n_events:,} events in {time.perf_counter() - t:.1f} s (PostgreSQL)")
    parts = [
        ("today against yesterday", wall.today_vs_yesterday),
        ("30-day trend", wall.trend),
        ("top 10 categories", wall.top_categories),
        ("source mix", wall.source_mix),
        ("department ranking", wall.department_ranking),
        ("red list", wall.red_list),
        ("inspectors on duty", wall.on_duty),
        ("feed", wall.latest_cases),
    ]
    for label, fn in parts:
        cache.clear()
        cold = timed(fn)[0]
        ms = sorted(timed(fn)[0] for _i in range(3))[1]
        print(f"  {label:<28} first {cold:8.1f} ms, then {ms:8.1f} ms (median of 3)")
    for _i in range(3):
        cache.clear()
        print(f"summary, nothing cached        {timed(wall.summary)[0]:8.1f} ms")
    base = timed(queries.today_figures)[0]
    print(f"baseline: the old wall's six figures {base:8.1f} ms (queries.today_figures, once)")

    settings.ALLOWED_HOSTS = ["*"]
    client = Client()
    client.force_login(leader)
    cache.clear()
    cold, r = timed(lambda: client.get("/maps/api/wall.json", HTTP_ACCEPT_ENCODING="gzip"))
    warm, _r2 = timed(lambda: client.get("/maps/api/wall.json", HTTP_ACCEPT_ENCODING="gzip"))
    raw = gzip.decompress(r.content) if r.get("Content-Encoding") == "gzip" else r.content
    print(f"/maps/api/wall.json cold {cold:8.1f} ms, cached {warm:6.1f} ms; {len(r.content):,} bytes on the wire "
          f"({len(raw):,} of JSON)")  # fmt: skip


if __name__ == "__main__":
    main()
