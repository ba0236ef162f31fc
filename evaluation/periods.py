"""Periods for evaluation: from query dates, months, and the periods to compare with."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from citymgmt.errors import InvalidData
from citymgmt.query import query_days

from .indicators import Period

MAX_DAYS = 400


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, timezone.get_current_timezone())


def from_dates(first: date, last: date) -> Period:
    """`first` to `last` inclusive, as local days."""
    return Period(local_midnight(first), local_midnight(last + timedelta(days=1)))


def month_of(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return first, last


def from_query(query, *, blank_ok=True) -> tuple[date, date]:
    """`from` and `to` (YYYY-MM-DD, inclusive); this month so far when absent (or blank, on pages)."""
    today = timezone.localdate()
    days, errors = query_days(query, blank_ok=blank_ok)
    first, last = days.get("from", month_of(today)[0]), days.get("to", today)
    if not errors and first > last:
        errors["to"] = "before_from"
    if not errors and (last - first).days > MAX_DAYS:
        errors["to"] = "too_long"
    if errors:
        raise InvalidData(_("日期须为 YYYY-MM-DD，起始不晚于结束，且不超过 400 天。"), fields=errors)
    return first, last


def previous(first: date, last: date) -> tuple[date, date]:
    """环比: the period of the same length just before (a whole month → the month before)."""
    if first.day == 1 and month_of(first)[1] == last:
        return month_of(first - timedelta(days=1))
    length = last - first
    return first - length - timedelta(days=1), first - timedelta(days=1)


def year_before(first: date, last: date) -> tuple[date, date]:
    """同比: the same dates a year earlier (29 February becomes the 28th)."""

    def shift(d: date) -> date:
        try:
            return d.replace(year=d.year - 1)
        except ValueError:
            return d.replace(year=d.year - 1, day=28)

    return shift(first), shift(last)
