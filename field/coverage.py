"""巡查覆盖 Patrol coverage: for each inspector and day, which cells of their responsibility grid
(责任网格) their trail entered, the coverage rate (cells entered ÷ cells assigned), the distance
walked and the minutes on duty.

Everything is computed in bulk for a day: one query for the assignments, one streaming the day's
trail points of every inspector asked for (ordered by inspector, then time), the points located to
cells with the grid index as arrays (`city.grid.cell_indices`), distances with numpy, and the
attendance rules for the minutes on duty. `bench/coverage.py` measures it on 600,000 points.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
from django.contrib.auth import get_user_model
from django.db import connections, router

from city import grid
from city.coords import path_lengths_m
from city.models import GridCell, Role

from .attendance import DayAttendance, attendance_for_days, day_bounds
from .models import PositionSample


@dataclass
class DayCoverage:
    user_id: int
    username: str
    day: date
    cells_assigned: list[str]
    cells_entered: list[str]  # the assigned cells the trail entered, in code order
    distance_m: float
    points: int
    attendance: DayAttendance | None = None

    @property
    def rate(self) -> float | None:
        """Cells entered ÷ cells assigned (0–1); None with no cells assigned."""
        return round(len(self.cells_entered) / len(self.cells_assigned), 4) if self.cells_assigned else None

    @property
    def on_duty_minutes(self) -> int:
        return self.attendance.on_duty_minutes if self.attendance else 0

    def as_json(self) -> dict:
        return {
            "username": self.username,
            "date": self.day.isoformat(),
            "cells_assigned": self.cells_assigned,
            "cells_entered": self.cells_entered,
            "rate": self.rate,
            "distance_m": round(self.distance_m, 1),
            "on_duty_minutes": self.on_duty_minutes,
            "points": self.points,
        }


def inspectors():
    """Every user in the inspector role, by username."""
    return get_user_model().objects.filter(groups__name=Role.INSPECTOR).order_by("username")


def assigned_cells(user_ids) -> dict[int, list[str]]:
    """{user id: the codes of the cells of their responsibility grids, in code order}."""
    found = defaultdict(set)
    rows = GridCell.objects.filter(responsibility_grids__inspectors__in=list(user_ids))
    for uid, code in rows.values_list("responsibility_grids__inspectors", "code"):
        found[uid].add(code)
    return {uid: sorted(codes) for uid, codes in found.items()}


# On PostgreSQL each inspector's trail comes back as one bytea: per point its lng and lat, 8 bytes
# each, big-endian (float8send), concatenated in time order. numpy reads it in place, with no Python
# object per point (600,000 rows as tuples cost more than everything else); one sort per inspector
# in the database is about half the cost of one sort of every point (bench/coverage.py).
_PACKED_POINT = np.dtype([("lng", ">f8"), ("lat", ">f8")])
PACKED_TRAIL_SQL = (
    "SELECT user_id, string_agg(float8send(lng) || float8send(lat), ''::bytea ORDER BY recorded_at, id)"
    " FROM {table} WHERE user_id = ANY(%s) AND recorded_at >= %s AND recorded_at < %s"
    " GROUP BY user_id ORDER BY user_id"
)


def _trail_arrays(user_ids, start: datetime, end: datetime) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(user ids, lngs, lats) of the trail points in [start, end), by user then time, as arrays."""
    ids = [int(i) for i in user_ids]
    connection = connections[router.db_for_read(PositionSample)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(PACKED_TRAIL_SQL.format(table=PositionSample._meta.db_table), [ids, start, end])
            trails = [(uid, np.frombuffer(bytes(packed), dtype=_PACKED_POINT)) for uid, packed in cursor.fetchall()]
            if not trails:
                return np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0)
            points = np.concatenate([t for _uid, t in trails])
            uid = np.repeat(np.array([u for u, _t in trails], dtype=np.int64), [len(t) for _u, t in trails])
            return uid, points["lng"].astype(float), points["lat"].astype(float)
        qs = (
            PositionSample.objects.filter(user_id__in=ids, recorded_at__gte=start, recorded_at__lt=end)
            .order_by("user_id", "recorded_at", "id")
            .values_list("user_id", "lng", "lat")
        )
        sql, params = qs.query.sql_with_params()
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    if not fetched:
        return np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0)
    arr = np.array(fetched, dtype=float)
    return arr[:, 0].astype(np.int64), arr[:, 1], arr[:, 2]


def day_coverage(day: date, users=None, now: datetime | None = None) -> dict[int, DayCoverage]:
    """{user id: DayCoverage} for `users` (default: every inspector) on `day` (a local day)."""
    users = list(inspectors() if users is None else users)
    if not users:
        return {}
    ids = [u.pk for u in users]
    start, end = day_bounds(day)
    assigned = assigned_cells(ids)
    uid, lng, lat = _trail_arrays(ids, start, end)
    cell_idx, infos = grid.cell_indices(lng, lat)
    steps = path_lengths_m(lng, lat)
    same_user = uid[1:] == uid[:-1] if len(uid) > 1 else np.zeros(0, dtype=bool)
    steps = np.where(same_user, steps, 0.0)
    # Each user's slice of the (user-ordered) arrays.
    bounds = np.searchsorted(uid, np.asarray(ids, dtype=np.int64)), np.searchsorted(uid, np.asarray(ids), "right")
    duty = attendance_for_days(ids, [day], now)
    result = {}
    for k, user in enumerate(users):
        lo, hi = int(bounds[0][k]), int(bounds[1][k])
        mine = assigned.get(user.pk, [])
        visited = np.unique(cell_idx[lo:hi])
        codes = {infos[i].cell_code for i in visited.tolist() if i >= 0}
        result[user.pk] = DayCoverage(
            user_id=user.pk,
            username=user.username,
            day=day,
            cells_assigned=mine,
            cells_entered=[c for c in mine if c in codes],
            distance_m=float(steps[lo : max(lo, hi - 1)].sum()) if hi - lo > 1 else 0.0,
            points=hi - lo,
            attendance=duty[(user.pk, day)],
        )
    return result


def coverage_of(user, day: date, now: datetime | None = None) -> DayCoverage:
    return day_coverage(day, [user], now)[user.pk]
