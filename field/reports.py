"""Attendance and coverage reports: a day or a month (any span of days), per inspector and per
street (考勤与巡查覆盖报表), and the two rates evaluation scores inspectors on.

- coverage rate 覆盖率: cells entered ÷ cells assigned, summed over the days the inspector was due
  (a day on leave or off counts neither way);
- on-duty rate 在岗率: minutes on duty within the schedule ÷ minutes scheduled (leave cut out).
Rates here are percentages with two decimals, as evaluation's are; None with nothing to measure.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils import timezone

from city.models import GridCell

from .coverage import DayCoverage, day_coverage, inspectors

MAX_DAYS = 62  # a report is a day or a month; each day is one bulk computation


def percent(part, whole) -> float | None:
    return round(100 * part / whole, 2) if whole else None


def days_between(first: date, last: date, today: date | None = None) -> list[date]:
    """The days first..last (inclusive), none after today: a day to come has no attendance yet."""
    today = today or timezone.localdate()
    last = min(last, today)
    return [first + timedelta(days=k) for k in range((last - first).days + 1)] if first <= last else []


def inspector_days(first: date, last: date, users=None, now: datetime | None = None) -> list[DayCoverage]:
    users = list(inspectors() if users is None else users)
    found = []
    for day in days_between(first, last, timezone.localdate(now) if now else None):
        found.extend(day_coverage(day, users, now).values())
    return found


def streets_of(user_ids) -> dict[int, tuple[str, str]]:
    """{user id: (street code, street name)}: the street holding most of the inspector's cells."""
    counts = defaultdict(Counter)
    rows = GridCell.objects.filter(responsibility_grids__inspectors__in=list(user_ids)).values_list(
        "responsibility_grids__inspectors", "community__street__code", "community__street__name"
    )
    for uid, code, name in rows:
        counts[uid][(code, name)] += 1
    return {uid: c.most_common(1)[0][0] for uid, c in counts.items()}


@dataclass
class Summary:
    """Figures over a span of days: one inspector's, or a street's inspectors' together."""

    key: str
    label: str
    street: str = ""
    days_due: int = 0
    days_present: int = 0
    late: int = 0
    early: int = 0
    absent: int = 0
    leave: int = 0
    cells_assigned: int = 0  # summed over the days due
    cells_entered: int = 0
    distance_m: float = 0.0
    on_duty_minutes: int = 0
    scheduled_minutes: int = 0
    on_duty_scheduled_minutes: int = 0
    inspectors: set = field(default_factory=set)

    def add(self, c: DayCoverage):
        a = c.attendance
        self.inspectors.add(c.user_id)
        self.distance_m += c.distance_m
        self.on_duty_minutes += c.on_duty_minutes
        if a is None:
            return
        self.leave += a.on_leave
        if not a.scheduled:
            return
        self.days_due += 1
        self.days_present += a.first_in is not None
        self.late += a.late
        self.early += a.early_leave
        self.absent += a.absent
        self.cells_assigned += len(c.cells_assigned)
        self.cells_entered += len(c.cells_entered)
        self.scheduled_minutes += a.scheduled_minutes
        self.on_duty_scheduled_minutes += a.on_duty_scheduled_minutes

    @property
    def coverage_rate(self) -> float | None:
        return percent(self.cells_entered, self.cells_assigned)

    @property
    def on_duty_rate(self) -> float | None:
        return percent(self.on_duty_scheduled_minutes, self.scheduled_minutes)


def by_inspector(days: list[DayCoverage]) -> list[Summary]:
    streets = streets_of({c.user_id for c in days})
    rows: dict[int, Summary] = {}
    for c in days:
        street = streets.get(c.user_id, ("", ""))[1]
        rows.setdefault(c.user_id, Summary(c.username, c.username, street)).add(c)
    return sorted(rows.values(), key=lambda s: s.key)


def by_street(days: list[DayCoverage]) -> list[Summary]:
    streets = streets_of({c.user_id for c in days})
    rows: dict[str, Summary] = {}
    for c in days:
        code, name = streets.get(c.user_id, ("", ""))
        rows.setdefault(code, Summary(code, name or "—", name)).add(c)
    return sorted(rows.values(), key=lambda s: s.key)


def evaluation_rates(first: date, last: date, now: datetime | None = None) -> dict[str, dict]:
    """{username: {"on_duty_rate": %, "coverage_rate": %}} for evaluation's inspector table."""
    return {
        s.key: {"on_duty_rate": s.on_duty_rate, "coverage_rate": s.coverage_rate}
        for s in by_inspector(inspector_days(first, last, now=now))
    }
