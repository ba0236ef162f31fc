"""Evaluation over a month with 500,000 cases on PostgreSQL (goal: department and area tables in
under 5 s each).

The month's log is written with INSERT … SELECT (the workflow itself does ~45 cases/s, see
bench/transitions.py): per case a report, register, dispatch, handle and check event, with the
data the workflow records (department, due times, on time or not); 1 in 7 handled late, 1 in 17
reworked, 1 in 31 never handled. Baseline in the same run: counting the month's events.

    python bench/evaluation.py [--cases 500000]
"""

import argparse
import os
import time

from _django import setup, teardown


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=500_000)
    args = parser.parse_args()
    os.environ.pop("REDIS_URL", None)
    name = "citymgmt_bench_evaluation"
    setup("postgres", name)
    try:
        run(args)
    finally:
        teardown("postgres", name)


def seed(n: int):
    import io
    import json

    from django.db import connection

    from city.demo.grid import synthetic_grid_features
    from city.importers.grid import import_grid
    from city.models import Category, Department

    import_grid(io.StringIO(json.dumps(synthetic_grid_features(2000))))
    for i in range(12):
        Department.objects.create(code=f"dept{i:02d}", name=f"部门{i:02d}")
    category = Category.objects.create(
        kind="event", major_code="01", minor_code="02", major_name="市容", name="暴露垃圾"
    )
    with connection.cursor() as c:
        c.execute("SELECT min(id), count(*) FROM city_gridcell")
        first_cell, cells = c.fetchone()
        c.execute("SELECT min(id) FROM city_department")
        first_dept = c.fetchone()[0]
        # Cases reported over November 2026, spread evenly; state by the story each case gets.
        c.execute(
            """
            INSERT INTO dispatch_case (number, category_id, description, lng, lat, address, cell_id, source,
                needs_verification, verify_result, reporter_name, reporter_phone, urgency, state, department_id,
                light, stage_unit, pending_request, pending_reason, rework_count, postpone_count, return_count,
                self_resolved, client_key_hash, reported_at, created_at, updated_at, version)
            SELECT 'E0102' || lpad(g::text, 12, '0'), %s, '', 104.17, 36.54, '', %s + g %% %s,
                CASE WHEN g %% 5 = 0 THEN 'sms' ELSE 'inspector' END, g %% 5 = 0, '', '', '', 'normal',
                CASE WHEN g %% 31 = 0 THEN 'dispatched' ELSE 'closed' END, %s + g %% 12,
                '', '', '', '', 0, 0, 0, false, '',
                t, t, t, 1
            FROM generate_series(1, %s) g,
                 LATERAL (SELECT timestamptz '2026-11-01 00:00+08' + (g::float / %s) * interval '29 days') AS ts(t)
            """,
            [category.id, first_cell, cells, first_dept, n, n],
        )
        steps = [
            # action, from, to, role, hours after report, extra data (SQL), which cases
            ("report", "", "reported", "inspector", 0, "jsonb_build_object('source', c.source)", "true"),
            ("register", "reported", "registered", "supervisor", 0.2, "jsonb_build_object('on_time', true)", "true"),
            ("dispatch", "registered", "dispatched", "dispatcher", 0.4,
             "jsonb_build_object('department', d.code, 'on_time', true, 'next_due_at', "
             "to_char((c.reported_at + interval '4.4 hours') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS+00:00'))",
             "true"),
            ("handle", "dispatched", "handled", "department_staff", 3,
             "jsonb_build_object('department', d.code, 'on_time', c.id %% 7 <> 0, "
             "'stage_elapsed_s', 9000 + c.id %% 7200)",
             "c.id %% 31 <> 0"),
            ("check", "checking", "dispatched", "inspector", 5,
             "jsonb_build_object('department', d.code, 'result', 'failed', 'on_time', true)",
             "c.id %% 17 = 0 AND c.id %% 31 <> 0"),
            ("check", "checking", "closed", "inspector", 6,
             "jsonb_build_object('department', d.code, 'result', 'passed', 'on_time', true)", "c.id %% 31 <> 0"),
        ]  # fmt: skip
        for action, src, dst, role, hours, data, where in steps:
            kind = "case.reported" if action == "report" else "case.updated"
            c.execute(
                f"""
                INSERT INTO dispatch_caseevent (case_id, kind, action, from_state, to_state, actor_role,
                    created_at, note, data)
                SELECT c.id, %s, %s, %s, %s, %s, c.reported_at + %s * interval '1 hour', '', {data}
                FROM dispatch_case c JOIN city_department d ON d.id = c.department_id
                WHERE {where}
                """,  # noqa: S608 (our own constant SQL fragments)
                [kind, action, src, dst, role, hours],
            )
        c.execute("ANALYZE")
        c.execute("SELECT count(*) FROM dispatch_caseevent")
        return c.fetchone()[0]


def timed(label, fn, repeat=3):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    best, worst = min(times), max(times)
    rows = len(result) if hasattr(result, "__len__") else result
    print(f"{label:<40} best {best:7.2f} s   worst {worst:7.2f} s   rows {rows}")
    return result


def run(args):
    from datetime import date

    from django.db import connection

    from evaluation import indicators, periods

    t = time.perf_counter()
    events = seed(args.cases)
    print(f"seeded {args.cases:,} cases and {events:,} events in {time.perf_counter() - t:.1f} s (PostgreSQL)")
    month = periods.from_dates(date(2026, 11, 1), date(2026, 11, 30))

    def baseline():
        with connection.cursor() as c:
            c.execute(
                "SELECT count(*) FROM dispatch_caseevent WHERE created_at >= %s AND created_at < %s",
                [month.start, month.end],
            )
            return c.fetchone()[0]

    timed("baseline: count the month's events", baseline)
    departments = timed("department table (goal < 5 s)", lambda: indicators.department_table(month))
    timed("area table, streets (goal < 5 s)", lambda: indicators.area_table(month, "street"))
    timed("area table, cells", lambda: indicators.area_table(month, "cell"))
    timed("inspector table", lambda: indicators.inspector_table(month))
    timed("staff table", lambda: indicators.staff_table(month))
    d = departments[0]
    print(f"check: {d['code']} dispatched {d['dispatched']:,} handled {d['handled']:,}", end=" ")
    print(f"on time {d['on_time_handling_rate']} % rework {d['rework_rate']} % closure {d['closure_rate']} %", end=" ")
    print(f"score {d['score']} {d['grade']}")


if __name__ == "__main__":
    main()
