"""Patrol coverage 巡查覆盖 for a whole city's day: 200 inspectors × one day of 10-second trail
points (about 600,000 points), on PostgreSQL.

Measured: `field.coverage.day_coverage` for every inspector at once (one trail query streamed into
arrays, points located with the grid index in bulk, distances with numpy, attendance rules).
Baseline in the same run: the obvious way — per inspector, the trail as model objects, `grid.locate`
and `distance_m` per point, the assignments and the attendance one inspector at a time. Both must
give the same figures (checked).

    python bench/coverage.py [--inspectors 200] [--hours 8.5] [--database postgres|sqlite]
"""

import argparse
import io
import math
import os
import random
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from _django import setup, teardown

DAY = date(2026, 11, 24)  # a Tuesday: a working day with the default 08:30–12:00, 14:30–18:00
ZONE = ZoneInfo("Asia/Shanghai")
BLOCK_W, BLOCK_H = 5, 4  # each inspector's responsibility grid: 5 × 4 cells


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--inspectors", type=int, default=200)
    parser.add_argument(
        "--hours", type=float, default=1000 / 60 * 0.5, help="hours of trail (default 8.33: 3,000 points)"
    )
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    name = "citymgmt_bench_coverage"
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
    setup(args.database, name)
    try:
        run(args)
    finally:
        teardown(args.database, name)


def build(args):
    """A grid of 20-cell blocks, one per inspector; trails that wander their block and beyond."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from city import grid
    from city.models import Community, GridCell, ResponsibilityGrid, Street
    from field.models import ClockEvent
    from tests.factories import CELL_H, CELL_W, build_city, square

    per_row = 10
    x0, y0 = 104.10, 36.50
    started = time.perf_counter()
    build_city(columns=1, rows=1, origin=(x0 - 0.01, y0 - 0.01), password=None)  # roles, calendar, one street
    street = Street.objects.get()
    # One community of 5 × 4 cells per inspector, the blocks side by side in rows of ten.
    communities = Community.objects.bulk_create(
        [Community(street=street, code=f"{street.code}{k + 2:03d}", name=f"社区 {k}") for k in range(args.inspectors)]
    )
    cells, blocks = [], []
    for k, community in enumerate(communities):
        bx, by = x0 + (k % per_row) * BLOCK_W * CELL_W, y0 + (k // per_row) * BLOCK_H * CELL_H
        blocks.append((bx, by))
        for j in range(BLOCK_H):
            for i in range(BLOCK_W):
                x, y = bx + i * CELL_W, by + j * CELL_H
                cells.append(
                    GridCell(
                        community=community, code=f"{community.code}{j * BLOCK_W + i + 1:02d}", geometry=square(x, y),
                        area_m2=10000, min_lng=x, min_lat=y, max_lng=x + CELL_W, max_lat=y + CELL_H,
                        center_lng=x + CELL_W / 2, center_lat=y + CELL_H / 2,
                    )
                )  # fmt: skip
    cells = GridCell.objects.bulk_create(cells)
    grid.invalidate()
    User = get_user_model()
    users = User.objects.bulk_create([User(username=f"insp{k:04d}", password="!") for k in range(args.inspectors)])
    group = Group.objects.get(name="inspector")
    User.groups.through.objects.bulk_create([User.groups.through(user_id=u.pk, group_id=group.pk) for u in users])
    ResponsibilityGrid.objects.all().delete()  # the test city's own
    per = BLOCK_W * BLOCK_H
    for k, u in enumerate(users):
        rg = ResponsibilityGrid.objects.create(code=f"RG{k:04d}", name=f"责任网格 {k}")
        rg.cells.set(cells[k * per : (k + 1) * per])
        rg.inspectors.set([u])
    print(f"city: {len(cells)} cells, {len(users)} inspectors with {BLOCK_W * BLOCK_H} cells each "
          f"({time.perf_counter() - started:.1f} s)")  # fmt: skip

    # Trails: a random walk of ~1.3 m/s from 08:30, one point every 10 s, mostly inside the block.
    started = time.perf_counter()
    rng = random.Random(16)
    points_per = int(args.hours * 360)
    start = datetime(DAY.year, DAY.month, DAY.day, 8, 30, tzinfo=ZONE)
    buf = io.StringIO()
    received = start.isoformat()
    for u, (bx, by) in zip(users, blocks, strict=True):
        x, y = bx + rng.random() * BLOCK_W * CELL_W, by + rng.random() * BLOCK_H * CELL_H
        heading = rng.random() * 6.283
        for n in range(points_per):
            heading += rng.gauss(0, 0.5)
            x += math.cos(heading) * 13 / 89_000
            y += math.sin(heading) * 13 / 111_000
            # Stay near the block (a margin of one cell outside it).
            if (
                not bx - CELL_W <= x <= bx + (BLOCK_W + 1) * CELL_W
                or not by - CELL_H <= y <= by + (BLOCK_H + 1) * CELL_H
            ):
                heading += 3.14159
            at = (start + timedelta(seconds=10 * n)).isoformat()
            buf.write(f"{u.pk}\t{x:.7f}\t{y:.7f}\t5\t{at}\t{received}\n")
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(
                "COPY mobile_api_positionsample (user_id, lng, lat, accuracy, recorded_at, received_at) FROM STDIN"
            ) as copy:
                copy.write(buf.getvalue())
            cursor.execute("ANALYZE mobile_api_positionsample")
        else:
            rows = [line.split("\t") for line in buf.getvalue().splitlines()]
            cursor.executemany(
                "INSERT INTO mobile_api_positionsample (user_id, lng, lat, accuracy, recorded_at, received_at) "
                "VALUES (%s, %s, %s, %s, %s, %s)",
                rows,
            )
    clocks = []
    for u in users:
        clocks.append(ClockEvent(user=u, action="clock_in", at=start - timedelta(minutes=2), lng=x0, lat=y0))
        clocks.append(ClockEvent(user=u, action="clock_out", at=start + timedelta(hours=9, minutes=30), lng=x0, lat=y0))
    ClockEvent.objects.bulk_create(clocks)
    total = len(users) * points_per
    print(f"trails: {total:,} points ({points_per} per inspector, every 10 s) in {time.perf_counter() - started:.1f} s")
    return users, total


def naive(users, day):
    """The obvious way, one inspector at a time, one point at a time."""
    from city import grid
    from city.coords import distance_m
    from city.models import GridCell
    from field import attendance
    from field.attendance import day_bounds
    from field.models import PositionSample

    start, end = day_bounds(day)
    found = {}
    for u in users:
        assigned = sorted(GridCell.objects.filter(responsibility_grids__inspectors=u).values_list("code", flat=True))
        entered, dist, prev = set(), 0.0, None
        for p in PositionSample.objects.filter(user=u, recorded_at__gte=start, recorded_at__lt=end).order_by(
            "recorded_at"
        ):
            cell = grid.locate(p.lng, p.lat)
            if cell is not None:
                entered.add(cell.cell_code)
            if prev is not None:
                dist += distance_m(prev.lng, prev.lat, p.lng, p.lat)
            prev = p
        duty = attendance.day_attendance(u, day).on_duty_minutes
        found[u.pk] = ([c for c in assigned if c in entered], dist, duty)
    return found


def run(args):
    from django.db import connection, reset_queries

    from city import grid
    from field.coverage import day_coverage

    users, total = build(args)
    t = time.perf_counter()
    grid.cell_indices([104.1], [36.5])  # build the grid index first: every process has it warm
    print(f"grid index built in {time.perf_counter() - t:.2f} s (once per process, not per report)")

    runs = []
    for _ in range(3):
        reset_queries()
        t = time.perf_counter()
        result = day_coverage(DAY)
        runs.append(time.perf_counter() - t)
    best = min(runs)
    rates = [c.rate for c in result.values() if c.rate is not None]
    km = sum(c.distance_m for c in result.values()) / len(result) / 1000
    each = ", ".join(f"{r:.2f}" for r in runs)
    print(f"\ncoverage, bulk (day_coverage): {best:6.2f} s for {len(result)} inspectors, {total:,} points")
    print(f"  {total / best:,.0f} points/s; runs {each} s")
    duty = next(iter(result.values())).on_duty_minutes
    print(f"  mean coverage {sum(rates) / len(rates):.1%}, mean distance {km:.1f} km, on duty {duty} min each")
    if args.skip_baseline:
        return
    t = time.perf_counter()
    slow = naive(users, DAY)
    base = time.perf_counter() - t
    print(f"coverage, naive (per inspector, per point): {base:6.2f} s  ({total / base:,.0f} points/s)")
    print(f"speed-up: {base / best:.1f}×   (database: {connection.vendor})")
    for uid, (entered, dist, duty) in slow.items():
        c = result[uid]
        assert c.cells_entered == entered, (uid, c.cells_entered, entered)
        assert abs(c.distance_m - dist) < 1e-6 * max(1.0, dist), (uid, c.distance_m, dist)
        assert c.on_duty_minutes == duty
    print("same figures both ways: cells entered, distance, minutes on duty")


if __name__ == "__main__":
    main()
