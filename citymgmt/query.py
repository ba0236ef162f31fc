"""Reading dates, times and numbers from requests, the same way on every page, feed and API.

Every date and time read here is bounded (EARLIEST_DAY … LATEST_DAY) before any arithmetic:
`date(9999, 12, 31) + timedelta(days=1)` and `datetime.min` at +14:00 overflow (pitfalls.md), and
before 1901 the city's zone has a local mean time offset (+08:05:43) that is not RFC 3339.
"""

import math
import re
from datetime import UTC, date, datetime

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2099, 12, 31)
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
MAX_INT = 2**53  # any id, cursor or count a client may send; beyond it a number is not one of ours


def bounded_day(day: date | None) -> date | None:
    return day if day is not None and EARLIEST_DAY <= day <= LATEST_DAY else None


def bounded_moment(moment: datetime | None) -> datetime | None:
    """An aware moment within the bounds, in UTC (naive ones are the city's local time); None outside."""
    if moment is None or not EARLIEST_DAY.year - 1 <= moment.year <= LATEST_DAY.year + 1:
        return None  # far from the bounds: no arithmetic at all (it could overflow)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    moment = moment.astimezone(UTC)
    return moment if EARLIEST_DAY <= moment.date() <= LATEST_DAY else None


def parse_day(raw: str) -> tuple[date | None, str | None]:
    """YYYY-MM-DD → (day, None) or (None, "invalid" | "out_of_range")."""
    try:
        parsed = parse_date(raw) if len(raw) == 10 else None
    except ValueError:  # well formed but not a day, e.g. 2026-02-30
        parsed = None
    if parsed is None:
        return None, "invalid"
    if bounded_day(parsed) is None:
        return None, "out_of_range"
    return parsed, None


def parse_month(raw: str) -> tuple[date | None, str | None]:
    """YYYY-MM → (its first day, None) or (None, "invalid" | "out_of_range")."""
    return parse_day(f"{raw}-01") if len(raw) == 7 else (None, "invalid")


def parse_moment(raw: str) -> tuple[datetime | None, str | None]:
    """An ISO 8601 / RFC 3339 date-time → (aware UTC moment, None) or (None, "invalid" | "out_of_range")."""
    try:
        parsed = parse_datetime(raw)
    except (ValueError, OverflowError):
        parsed = None
    if parsed is None:
        return None, "invalid"
    try:
        moment = bounded_moment(parsed)
    except (ValueError, OverflowError):
        moment = None
    return (moment, None) if moment is not None else (None, "out_of_range")


def query_days(query, names=("from", "to"), *, blank_ok=True) -> tuple[dict, dict]:
    """Days given as YYYY-MM-DD: ({name: date}, {name: "invalid" | "out_of_range"}) for the names present.
    A blank value counts as absent (a page's empty form field) unless blank_ok is False (an API)."""
    days, errors = {}, {}
    for name in names:
        raw = query.get(name)
        if raw == "" and not blank_ok:
            errors[name] = "invalid"
        if not raw:
            continue
        day, error = parse_day(raw)
        if error:
            errors[name] = error
        else:
            days[name] = day
    return days, errors


def query_moment(query, name) -> tuple[datetime | None, str | None]:
    """A date-time parameter: (moment or None when absent, error or None)."""
    raw = query.get(name)
    return parse_moment(raw) if raw else (None, None)


def query_int(query, name, default: int, *, lowest: int = -MAX_INT, highest: int = MAX_INT) -> tuple[int, str | None]:
    """An integer parameter within [lowest, highest]: (value, None) or (default, "invalid" | "out_of_range")."""
    raw = query.get(name)
    if raw is None or raw == "":
        return default, None
    try:
        value = int(raw)
    except (ValueError, TypeError):
        return default, "invalid"
    if not lowest <= value <= highest:
        return default, "out_of_range"
    return value, None


def finite(value: float, lowest: float, highest: float) -> bool:
    return math.isfinite(value) and lowest <= value <= highest
