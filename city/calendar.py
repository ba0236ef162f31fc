"""The city's working calendar: which days are worked, their work periods, and time limits in
natural time (自然时), working hours (工作时) and working days (工作日).

Everything is computed in the city's time zone (`settings.TIME_ZONE`). Functions take aware
datetimes in any zone (naive ones are refused with ValueError) and return aware datetimes in the
city's zone.

Work periods. The `WorkPeriod` rows of each weekday; when the table is empty, 08:30–12:00 and
14:30–18:00 Monday to Friday (`DEFAULT_PERIODS`). Overlapping rows of one weekday are merged and
rows with start ≥ end are ignored.

Whether a day is worked, first rule that applies:
1. a `CalendarDay` row (admins' override, also how years after the chinese-calendar package are
   entered);
2. the chinese-calendar package, for the years it knows (2004–2026 in 1.11): a statutory holiday
   (法定节假日) is not worked, a make-up working day (调休, e.g. Saturday 2026-10-10) is;
3. the weekly pattern: a weekday is worked if it has work periods.
A worked day uses its weekday's periods; a worked day whose weekday has none (a make-up Saturday)
uses the periods of a normal weekday: those of the first weekday that has any (Monday normally).

Units (`add_working_time`):
- ``"minutes"``: natural time, start + N minutes, the calendar plays no part.
- ``"work_hours"``: N hours counted only inside work periods. The result is the earliest instant at
  which that much working time has passed: a limit used up exactly at a period's end falls due at
  that end (Mon 10:00 + 2 h → Mon 12:00, not 14:30). Mon 11:00 + 2 h → Mon 15:30.
- ``"work_days"``: the same position in the working day, N working days later: Mon 10:00 + 1 → Tue
  10:00; Fri 16:00 + 1 → the next working day at 16:00 (a holiday or weekend in between is
  skipped). For days of the same length this is N × the day's working time. A start outside work
  periods counts from the last working instant before it: in the lunch break from the morning
  period's end (Mon 13:00 + 1 → Tue 12:00); before the first period of a day, after the last one,
  or on a day off, from the end of the previous working day, so the limit ends at the end of the
  last work period of the N-th working day counting the next working day as day 1 (Sat + 1 → the
  following working day's 18:00; Mon 07:00 + 1 → Mon 18:00). When the target day is shorter than
  the position, the result is the end of that day.
An amount of 0 returns the start itself.

`working_time_between(start, end)` is the working time inside [start, end], so
`working_time_between(s, add_working_time(s, n, "work_hours")) == n hours` for every s.

Caching. The period table and the `CalendarDay` rows are read once (two queries) and every day's
status and periods are kept in process memory: no query per call once warm. `invalidate()`
(called by the WorkPeriod / CalendarDay signals) drops them now and when the transaction commits;
other processes notice through a version number in Django's cache, looked at no more than every
`CHECK_INTERVAL` seconds.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from numbers import Real

import chinese_calendar
from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone

from .reloadable import SharedReloadable

log = logging.getLogger(__name__)

UNITS = ("minutes", "work_hours", "work_days")
DEFAULT_PERIODS = ((dtime(8, 30), dtime(12, 0)), (dtime(14, 30), dtime(18, 0)))
DEFAULT_WEEKDAYS = (0, 1, 2, 3, 4)  # Monday..Friday
CHECK_INTERVAL = 3.0  # seconds between looks at the shared calendar version
MAX_IDLE_DAYS = 3660  # consecutive non-working days after which the calendar is deemed broken
MAX_WALK_DAYS = 100 * 366  # days one call may walk through
MAX_CACHED_DAYS = 50_000

_ZERO = timedelta(0)
_ONE_DAY = timedelta(days=1)


# ---------------------------------------------------------------------------------------------- state


class _Day:
    """A day's work periods as (start, end) pairs in UTC (for arithmetic) and in the city zone."""

    __slots__ = ("local", "periods", "total", "working")

    def __init__(self, working: bool, periods: tuple, local: tuple):
        self.working = working
        self.periods = periods
        self.local = local
        self.total = sum((b - a for a, b in periods), _ZERO)


class _State:
    """A snapshot of the calendar's tables, plus a cache of the days computed from it."""

    def __init__(self, version, tz, weekly: dict[int, tuple], overrides: dict[date, bool]):
        self.version = version
        self.tz = tz
        self.weekly = weekly
        self.fallback = next((weekly[w] for w in range(7) if weekly[w]), DEFAULT_PERIODS)
        self.overrides = overrides
        self.days: dict[date, _Day] = {}

    def is_working(self, d: date) -> bool:
        override = self.overrides.get(d)
        if override is not None:
            return override
        try:
            chinese_calendar.is_workday(d)  # raises NotImplementedError for years it does not know
        except NotImplementedError:
            pass
        else:
            if d in chinese_calendar.workdays:  # 调休: a weekend day worked
                return True
            if d in chinese_calendar.holidays:
                return False
        return bool(self.weekly[d.weekday()])

    def day(self, d: date) -> _Day:
        found = self.days.get(d)
        if found is None:
            found = self._build_day(d)
            if len(self.days) >= MAX_CACHED_DAYS:
                self.days.clear()
            self.days[d] = found
        return found

    def _build_day(self, d: date) -> _Day:
        if not self.is_working(d):
            return _Day(False, (), ())
        local = tuple(
            (datetime.combine(d, a, tzinfo=self.tz), datetime.combine(d, b, tzinfo=self.tz))
            for a, b in (self.weekly[d.weekday()] or self.fallback)
        )
        return _Day(True, tuple((a.astimezone(UTC), b.astimezone(UTC)) for a, b in local), local)


def _merge(periods: list[tuple[dtime, dtime]]) -> tuple:
    merged: list[list[dtime]] = []
    for start, end in sorted(p for p in periods if p[0] < p[1]):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((a, b) for a, b in merged)


def _load(version, tz) -> _State:
    from city.models import CalendarDay, WorkPeriod

    rows = list(WorkPeriod.objects.values_list("weekday", "start", "end"))
    by_weekday: dict[int, list] = {w: [] for w in range(7)}
    if rows:
        for weekday, start, end in rows:
            if 0 <= weekday <= 6:
                by_weekday[weekday].append((start.replace(tzinfo=None), end.replace(tzinfo=None)))
    else:
        for weekday in DEFAULT_WEEKDAYS:
            by_weekday[weekday] = list(DEFAULT_PERIODS)
    weekly = {w: _merge(p) for w, p in by_weekday.items()}
    overrides = dict(CalendarDay.objects.values_list("date", "is_working"))
    return _State(version, tz, weekly, overrides)


def _load_now(version) -> _State:
    return _load(version, timezone.get_default_timezone())


# Reloaded when the calendar changes here or in another process (see city.reloadable).
shared = SharedReloadable("calendar", _load_now, check_interval=CHECK_INTERVAL, key=timezone.get_default_timezone)
_state = shared.get


def invalidate(using: str = DEFAULT_DB_ALIAS):
    """The calendar changed: reload it on next use, here and elsewhere."""
    shared.invalidate(using)


# ---------------------------------------------------------------------------------------------- helpers


def _utc(value: datetime, name: str = "start") -> datetime:
    if not isinstance(value, datetime):
        raise ValueError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime: {value!r}")
    return value.astimezone(UTC)


def _local_date(state: _State, value: datetime) -> date:
    return value.astimezone(state.tz).date()


def _day_of(state: _State, d) -> date:
    if isinstance(d, datetime):
        return _local_date(state, _utc(d, "d"))
    if not isinstance(d, date):
        raise ValueError(f"expected a date, not {type(d).__name__}")
    return d


def _next_working(state: _State, d: date) -> date:
    """`d` if it is worked, else the first worked day after it."""
    for _ in range(MAX_IDLE_DAYS + 1):
        if state.day(d).periods:
            return d
        d += _ONE_DAY
    raise ValueError(f"no working day in the {MAX_IDLE_DAYS} days from {d - MAX_IDLE_DAYS * _ONE_DAY}")


def _nth_working_after(state: _State, d: date, n: int) -> date:
    """The n-th working day after the working day `d` (n=0: `d`)."""
    if n > MAX_WALK_DAYS:
        raise ValueError(f"{n} working days is too far")
    for _ in range(n):
        d = _next_working(state, d + _ONE_DAY)
    return d


def _at_offset(day: _Day, offset: timedelta) -> datetime:
    """The earliest instant of `day` at which `offset` of its working time has passed (0 < offset)."""
    for a, b in day.periods:
        if offset <= b - a:
            return a + offset
        offset -= b - a
    return day.periods[-1][1]


def _advance(state: _State, s: datetime, remaining: timedelta) -> datetime:
    """`remaining` working time after the UTC instant `s`, as an aware datetime in the city zone."""
    if remaining <= _ZERO:
        return s.astimezone(state.tz)
    d = _local_date(state, s)
    idle = 0
    for _ in range(MAX_WALK_DAYS):
        day = state.day(d)
        if not day.periods:
            idle += 1
            if idle > MAX_IDLE_DAYS:
                raise ValueError(f"no working day in the {MAX_IDLE_DAYS} days before {d}")
        else:
            idle = 0
            if day.periods[-1][1] > s:
                if s <= day.periods[0][0] and remaining > day.total:
                    remaining -= day.total
                else:
                    for a, b in day.periods:
                        if b <= s:
                            continue
                        a = max(a, s)
                        if remaining <= b - a:
                            return (a + remaining).astimezone(state.tz)
                        remaining -= b - a
        d += _ONE_DAY
    raise ValueError("the working time to add is too long")


def _add_days(state: _State, s: datetime, n: int) -> datetime:
    # The working day the start belongs to: the first whose last period ends after it.
    d = _local_date(state, s)
    for _ in range(MAX_IDLE_DAYS + 2):
        day = state.day(d)
        if day.periods and day.periods[-1][1] > s:
            break
        d += _ONE_DAY
    else:
        raise ValueError(f"no working day in the {MAX_IDLE_DAYS} days after {s}")
    position = sum((min(b, s) - a for a, b in day.periods if a < s), _ZERO)
    if position <= _ZERO:  # at or before the day's first period: the previous working day is complete
        return state.day(_nth_working_after(state, d, n - 1)).local[-1][1]
    target = state.day(_nth_working_after(state, d, n))
    return _at_offset(target, min(position, target.total)).astimezone(state.tz)


def _check_amount(amount) -> None:
    if isinstance(amount, bool) or not isinstance(amount, Real):
        raise ValueError(f"amount must be a number, not {type(amount).__name__}")
    if amount < 0:
        raise ValueError(f"amount must not be negative: {amount}")


# ---------------------------------------------------------------------------------------------- API


def add_working_time(start: datetime, amount: int, unit: str) -> datetime:
    """`amount` of `unit` ("minutes", "work_hours" or "work_days") after `start`; see the module
    docstring for the rules. Returns an aware datetime in the city's time zone."""
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}; expected one of {', '.join(UNITS)}")
    _check_amount(amount)
    s = _utc(start)
    state = _state()
    if unit == "minutes":
        return (s + timedelta(minutes=amount)).astimezone(state.tz)
    if unit == "work_hours":
        return _advance(state, s, timedelta(hours=amount))
    if amount != int(amount):
        raise ValueError(f"work_days must be a whole number: {amount}")
    if amount == 0:
        return s.astimezone(state.tz)
    return _add_days(state, s, int(amount))


def add_working_duration(start: datetime, duration: timedelta) -> datetime:
    """`duration` of working time after `start` (the "work_hours" rule, any precision)."""
    if not isinstance(duration, timedelta):
        raise ValueError(f"duration must be a timedelta, not {type(duration).__name__}")
    if duration < _ZERO:
        raise ValueError(f"duration must not be negative: {duration}")
    s = _utc(start)
    return _advance(_state(), s, duration)


def working_time_between(start: datetime, end: datetime) -> timedelta:
    """The working time inside [start, end]; zero when end <= start."""
    s, e = _utc(start), _utc(end, "end")
    if e <= s:
        return _ZERO
    state = _state()
    d, last = _local_date(state, s), _local_date(state, e)
    total = _ZERO
    while d <= last:
        day = state.day(d)
        if day.periods:
            if s <= day.periods[0][0] and day.periods[-1][1] <= e:
                total += day.total
            else:
                for a, b in day.periods:
                    lo, hi = max(a, s), min(b, e)
                    if hi > lo:
                        total += hi - lo
        d += _ONE_DAY
    return total


def is_working_day(d: date) -> bool:
    """Whether the city works on `d` (a date; an aware datetime means its date in the city zone)."""
    state = _state()
    return state.day(_day_of(state, d)).working


def work_periods(d: date) -> list[tuple[datetime, datetime]]:
    """The work periods of `d` as aware datetimes in the city zone; empty on a day off."""
    state = _state()
    return list(state.day(_day_of(state, d)).local)


def ensure_default_work_periods() -> int:
    """Create the default periods (Mon–Fri 08:30–12:00, 14:30–18:00) if the table is empty.
    Returns the number of rows created."""
    from city.models import WorkPeriod

    if WorkPeriod.objects.exists():
        return 0
    rows = [WorkPeriod(weekday=w, start=a, end=b) for w in DEFAULT_WEEKDAYS for a, b in DEFAULT_PERIODS]
    WorkPeriod.objects.bulk_create(rows)  # no post_save signals: invalidate by hand
    invalidate()
    return len(rows)


# ------------------------------------------------------------------------------ years without a schedule

SCHEDULE_HORIZON_DAYS = 60


def package_knows(year: int) -> bool:
    """Whether the chinese-calendar package has the State Council's schedule for this year."""
    try:
        chinese_calendar.is_workday(date(year, 12, 31))
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def years_without_schedule(today: date | None = None, horizon_days: int = SCHEDULE_HORIZON_DAYS) -> list[int]:
    """Years that have begun or begin within `horizon_days` for which neither the package nor the
    calendar table has any holiday / make-up day: in them 2027-01-01 would silently count as a
    working day. Empty when the calendar is sound."""
    from .models import CalendarDay

    today = today or timezone.localdate()
    years = sorted({today.year, (today + timedelta(days=horizon_days)).year})
    missing = []
    for year in years:
        if package_knows(year):
            continue
        if not CalendarDay.objects.filter(date__year=year).exists():
            missing.append(year)
    return missing
