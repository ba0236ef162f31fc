"""综合查询 over 1,000,000 cases on PostgreSQL: the query page by full number, partial number, phone,
address word, description word and a filtered, sorted page — each through the real view.

Cases are inserted with SQL (generate_series): a benchmark fixture, not the workflow. Baseline in
the same run: the same queries with the search indexes dropped (sequential scans), and a bare
primary-key lookup as the floor.

    python bench/case_query.py [--cases 1000000] [--repeat 5] [--database NAME] [--keep] [--reuse] [--no-baseline]

`--keep` leaves the filled database behind and `--reuse` measures a kept one again without
refilling it (to iterate on the query without paying the insert each time).
"""

import argparse
import statistics
import time

from _django import minimal_city, setup, teardown

ROADS = ["人民路", "北京路", "兰州路", "友好路", "诚信大道", "五一街", "公园路", "团结路", "工农路", "四龙路", "长安路",
         "西区路", "南环路", "北环路", "水川路", "银山路", "金鱼路", "建设路", "胜利街", "和平路"]  # fmt: skip
PROBLEMS = ["垃圾桶满溢", "井盖松动", "路灯不亮", "占道经营", "暴露垃圾", "绿化带破损", "小广告", "道路积水",
            "机动车乱停放", "工地扬尘", "露天烧烤", "违章搭建"]  # fmt: skip

# Columns the fixture sets; every other NOT NULL column gets its model default.
SET = {
    "number": "'E0102' || to_char(%(day0)s::date + (g %% 365), 'YYYYMMDD') || lpad(g::text, 7, '0')",
    "category_id": "%(cat)s",
    "description": "(%(problems)s::text[])[1 + g %% %(np)s] || '，第' || g || '号'",
    "address": "CASE WHEN g %% 5 = 0 THEN '' ELSE (%(roads)s::text[])[1 + (g / 7) %% %(nr)s] || (g %% 300) || '号' END",
    "reporter_phone": "CASE WHEN g %% 3 = 0 "
    "THEN '139' || lpad((g::bigint * 7919 %% 100000000)::text, 8, '0') ELSE '' END",
    "reporter_name": "CASE WHEN g %% 3 = 0 THEN '王女士' ELSE '' END",
    "source": "CASE WHEN g %% 3 = 0 THEN 'call_taker' ELSE 'inspector' END",
    "state": "(ARRAY['closed', 'closed', 'closed', 'dispatched', 'registered', 'reported', 'handled', 'checking'])"
    "[1 + g %% 8]",
    "department_id": "%(dept)s",
    "cell_id": "%(cell0)s + g %% 100",
    "lng": "104.17",
    "lat": "36.545",
    "reported_at": "%(day0)s::timestamptz + (g %% 365) * interval '1 day' + (g %% 600) * interval '1 minute'",
    "created_at": "now()",
    "updated_at": "now()",
    "due_at": "now() + (g %% 1000 - 500) * interval '1 hour'",
    "light": "'green'",
    "stage_unit": "'work_hours'",
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database", default="citymgmt_bench_query")
    parser.add_argument("--keep", action="store_true", help="leave the filled database behind")
    parser.add_argument("--reuse", action="store_true", help="measure a kept database without refilling it")
    parser.add_argument("--no-baseline", action="store_true", help="skip the run without the search indexes")
    args = parser.parse_args()
    setup("postgres", args.database, fresh=not args.reuse)
    try:
        run(args)
    finally:
        if not (args.keep or args.reuse):
            teardown("postgres", args.database)


def fill(args, category, dept):
    from datetime import date

    from django.db import connection

    from city.models import GridCell
    from dispatch.models import Case

    columns, values, params = [], [], {}
    for f in Case._meta.concrete_fields:
        if f.primary_key:
            continue
        columns.append(f.column)
        if f.name in SET or f.column in SET:
            values.append(SET.get(f.name) or SET[f.column])
        elif f.null:
            values.append("NULL")
        else:
            if f.has_default():
                default = f.get_default()
            else:
                default = "" if f.get_internal_type() in ("CharField", "TextField") else 0
            key = f"d_{f.column}"
            params[key] = default
            values.append(f"%({key})s")
    params |= {
        "cat": category.pk, "dept": dept.pk, "cell0": GridCell.objects.order_by("id").first().pk,
        "day0": date(2026, 1, 1), "problems": PROBLEMS, "np": len(PROBLEMS), "roads": ROADS, "nr": len(ROADS),
        "n": args.cases,
    }  # fmt: skip
    # Column names come from the model and expressions from this file: no outside input in the SQL.
    sql = f"INSERT INTO dispatch_case ({', '.join(columns)}) SELECT {', '.join(values)} "
    sql += "FROM generate_series(1, %(n)s) g"
    with connection.cursor() as cur:
        cur.execute(sql, params)
        cur.execute("ANALYZE dispatch_case")


def existing_city():
    """The minimal city of a kept database (`--reuse`): (category, department, users)."""
    from django.contrib.auth import get_user_model

    from dispatch.models import Case

    case = Case.objects.select_related("category", "department").first()
    users = {u.username: u for u in get_user_model().objects.all()}
    return case.category, case.department, users


def timed(fn, repeat):
    fn()  # warm
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples), max(samples)


def run(args):
    from django.db import connection
    from django.test import Client

    from dispatch.models import Case

    if args.reuse:
        category, dept, users = existing_city()
        print(f"cases kept from an earlier run: {Case.objects.count():,}")
    else:
        category, dept, users = minimal_city()
        t = time.perf_counter()
        fill(args, category, dept)
        print(f"cases inserted: {Case.objects.count():,} in {time.perf_counter() - t:.1f} s")

    client = Client(HTTP_HOST="localhost")
    client.force_login(users["calltaker"])
    with_phone = Case.objects.filter(reporter_phone__startswith="139").order_by("id")
    some = with_phone[with_phone.count() // 3]
    queries = {
        "no match (the view's floor)": {"q": "没有这个词"},
        "full number (jump)": {"q": some.number},
        "partial number": {"q": some.number[-9:]},
        "phone (call-taker)": {"q": some.reporter_phone},
        "address word 兰州路": {"q": "兰州路"},
        "description word 路灯不亮": {"q": "路灯不亮"},
        "two characters 松动 (common)": {"q": "松动"},
        "two characters 异响 (none)": {"q": "异响"},
        "filtered + sorted page": {
            "state": "dispatched",
            "department": dept.code,
            "reported_from": "2026-03-01",
            "reported_to": "2026-06-30",
            "sort": "-reported_at",
        },
        "filtered + sorted page 2": {"state": "dispatched", "department": dept.code, "sort": "-reported_at", "page": 2},
    }

    def measure(label):
        print(f"\n{label}")
        print(f"{'query':30} {'p50 ms':>8} {'max ms':>8}  status")
        for name, params in queries.items():
            status = []
            p50, worst = timed(lambda p=params, s=status: s.append(client.get("/cases/", p).status_code), args.repeat)
            print(f"{name:30} {p50:8.1f} {worst:8.1f}  {status[-1]}")

    floor = timed(lambda: Case.objects.get(pk=some.pk), args.repeat)
    print(f"\nbaseline: primary-key lookup of one case p50 {floor[0]:.2f} ms")
    measure("with the search indexes (migrations dispatch.search_indexes, dispatch.case_query_indexes)")
    if args.no_baseline:
        return
    with connection.cursor() as cur:
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'dispatch_case' AND ("
            "indexname LIKE 'case_%%trgm' OR indexname IN ("
            "'case_reporter_phone', 'case_reporter_name', 'case_reported_at_id', 'case_state_reported_at_id', "
            "'case_words_bigrams'))"
        )
        dropped = cur.fetchall()
        for index, _definition in dropped:
            cur.execute(f'DROP INDEX "{index}"')
    measure(f"baseline: the same without {len(dropped)} search indexes (sequential scans)")
    t = time.perf_counter()
    with connection.cursor() as cur:
        for _index, definition in dropped:
            cur.execute(definition)
        cur.execute("ANALYZE dispatch_case")  # statistics of the expression indexes (see migration 0009)
    print(f"\nrebuilding the {len(dropped)} search indexes took {time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    main()
