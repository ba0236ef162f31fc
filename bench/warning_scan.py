"""The deadline worker's scan over 1,000,000 open cases on PostgreSQL.

Cases are inserted with SQL (generate_series): a benchmark fixture, not the workflow. Their
yellow and due times are spread over the next 30 days, and `--crossing` of them have crossed
into yellow or red by the scan time. Printed: the time of the scan query (two range scans on
partial indexes), of a full worker pass (which also writes one event per change), and as a
baseline in the same run, a sequential scan of the whole table.

    python bench/warning_scan.py [--cases 1000000] [--crossing 1000]
"""

import argparse
import time

from _django import minimal_city, setup, teardown


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--crossing", type=int, default=1000)
    args = parser.parse_args()
    name = "citymgmt_bench_scan"
    setup("postgres", name)
    try:
        run(args)
    finally:
        teardown("postgres", name)


def run(args):
    from django.db import connection
    from django.utils import timezone

    from dispatch.management.commands.run_worker import scan_once
    from dispatch.services import cases_with_light_change

    category, dept, _users = minimal_city()
    now = timezone.now()
    t = time.perf_counter()
    with connection.cursor() as cur:
        # Case g: due in (g mod 43200) minutes (up to 30 days); the first `crossing` are already due.
        cur.execute(
            """
            INSERT INTO dispatch_case (
              number, category_id, description, lng, lat, address, source, needs_verification, verify_result,
              reporter_name, reporter_phone, urgency, state, department_id, stage_started_at, yellow_at, due_at,
              light, stage_unit, stage_limit_s, pending_request, pending_reason, rework_count, postpone_count,
              return_count, self_resolved, client_key_hash, reported_at, created_at, updated_at, version)
            SELECT 'B' || lpad(g::text, 16, '0'), %(cat)s, '', 104.17, 36.545, '', 'inspector', false, '',
              '', '', 'normal', 'dispatched', %(dept)s, %(now)s - interval '1 hour',
              CASE WHEN g <= %(crossing)s THEN %(now)s - interval '1 minute'
                   ELSE %(now)s + (g %% 43200) * interval '1 minute' END,
              CASE WHEN g <= %(crossing)s / 2 THEN %(now)s - interval '1 second'
                   ELSE %(now)s + (g %% 43200 + 60) * interval '1 minute' END,
              'green', 'minutes', 3600, '', '', 0, 0, 0, false, '', %(now)s, %(now)s, %(now)s, 1
            FROM generate_series(1, %(n)s) AS g
            """,
            {"cat": category.pk, "dept": dept.pk, "now": now, "crossing": args.crossing, "n": args.cases},
        )
        cur.execute("ANALYZE dispatch_case")
    print(f"inserted {args.cases:,} open cases in {time.perf_counter() - t:.1f} s")

    with connection.cursor() as cur:
        cur.execute("EXPLAIN SELECT id FROM dispatch_case WHERE light = 'green' AND yellow_at <= %s", [now])
        plan = " / ".join(row[0].strip() for row in cur.fetchall()[:2])
    print(f"plan (turning yellow): {plan}")

    timings = []
    for _ in range(5):
        t = time.perf_counter()
        ids = cases_with_light_change(now)
        timings.append(time.perf_counter() - t)
    print(f"scan query: {len(ids):,} cases to change; best {min(timings) * 1000:.1f} ms, "
          f"worst {max(timings) * 1000:.1f} ms of 5")  # fmt: skip

    t = time.perf_counter()
    changed = scan_once(now)
    full = time.perf_counter() - t
    print(f"full worker pass: {changed:,} lights changed (one event each) in {full:.2f} s "
          f"({changed / full:.0f} changes/s)")  # fmt: skip
    t = time.perf_counter()
    again = scan_once(now)
    print(f"next pass with nothing to change: {again} changes in {(time.perf_counter() - t) * 1000:.1f} ms")

    t = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM dispatch_case WHERE yellow_at <= %s OR due_at <= %s", [now, now])
        cur.fetchone()
    print(f"baseline: sequential scan of the whole table: {(time.perf_counter() - t) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
