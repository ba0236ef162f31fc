"""city.calendar: work periods, holidays and 调休, time limits in working hours and days.

Facts from chinese_calendar 1.11 used here (2026): 09-25..27 Mid-autumn off, 09-20 (Sun) worked;
National Day 10-01..10-07 off, Saturday 10-10 worked (调休), Sunday 10-11 off; 2027 unknown.
"""

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from city import calendar
from city.models import CalendarDay, WorkPeriod

SH = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime(*args, tzinfo=SH)


def add(start, amount, unit="work_hours"):
    return calendar.add_working_time(start, amount, unit)


def hours(h):
    return timedelta(hours=h)


@pytest.fixture(autouse=True)
def fresh_calendar(db):
    # Test transactions roll back without signals: never carry a calendar from one test to another.
    calendar.invalidate()
    yield
    calendar.invalidate()


# ---------------------------------------------------------------------------------------------- days


def test_default_periods_monday_to_friday():
    assert calendar.work_periods(date(2026, 11, 23)) == [
        (at(2026, 11, 23, 8, 30), at(2026, 11, 23, 12)),
        (at(2026, 11, 23, 14, 30), at(2026, 11, 23, 18)),
    ]
    assert all(a.tzinfo == SH for p in calendar.work_periods(date(2026, 11, 23)) for a in p)
    assert calendar.is_working_day(date(2026, 11, 27))  # Fri
    assert not calendar.is_working_day(date(2026, 11, 28))  # Sat
    assert not calendar.is_working_day(date(2026, 11, 29))  # Sun
    assert calendar.work_periods(date(2026, 11, 28)) == []


def test_national_day_2026_and_its_make_up_saturday():
    assert [calendar.is_working_day(date(2026, 9, d)) for d in range(27, 31)] == [False, True, True, True]
    assert not any(calendar.is_working_day(date(2026, 10, d)) for d in range(1, 8))
    assert calendar.is_working_day(date(2026, 10, 8))
    assert calendar.is_working_day(date(2026, 10, 10))  # Saturday, 调休
    assert not calendar.is_working_day(date(2026, 10, 11))  # Sunday
    assert calendar.is_working_day(date(2026, 9, 20))  # Sunday, 调休 for the Mid-autumn break
    # A make-up weekend day works the normal weekday periods.
    assert calendar.work_periods(date(2026, 10, 10)) == [
        (at(2026, 10, 10, 8, 30), at(2026, 10, 10, 12)),
        (at(2026, 10, 10, 14, 30), at(2026, 10, 10, 18)),
    ]


def test_years_after_the_package_fall_back_to_the_weekly_pattern():
    assert calendar.is_working_day(date(2027, 2, 15))  # Monday; the package does not know 2027
    assert not calendar.is_working_day(date(2027, 2, 13))  # Saturday
    assert add(at(2027, 3, 5, 17), 2) == at(2027, 3, 8, 9, 30)  # Fri → Mon


def test_calendar_day_rows_override_everything():
    CalendarDay.objects.create(date=date(2027, 2, 15), is_working=False, note="春节")
    CalendarDay.objects.create(date=date(2027, 2, 20), is_working=True, note="调休")  # Saturday
    CalendarDay.objects.create(date=date(2026, 10, 10), is_working=False, note="市里放假")  # package says worked
    CalendarDay.objects.create(date=date(2026, 10, 7), is_working=True, note="值班")  # package says holiday
    assert not calendar.is_working_day(date(2027, 2, 15))
    assert calendar.is_working_day(date(2027, 2, 20))
    assert not calendar.is_working_day(date(2026, 10, 10))
    assert calendar.is_working_day(date(2026, 10, 7))
    assert calendar.work_periods(date(2027, 2, 20))[0] == (at(2027, 2, 20, 8, 30), at(2027, 2, 20, 12))
    # Fri 2027-02-12 17:00: 1 h Friday, Sat 02-20 is not reached: Mon 15 off, Tue 16 works.
    assert add(at(2027, 2, 12, 17), 2) == at(2027, 2, 16, 9, 30)
    assert add(at(2027, 2, 19, 17), 2) == at(2027, 2, 20, 9, 30)  # Fri → the worked Saturday
    assert add(at(2026, 10, 6, 10), 1) == at(2026, 10, 7, 9, 30)
    assert add(at(2026, 10, 9, 17), 2) == at(2026, 10, 12, 9, 30)


def test_datetime_argument_to_day_functions_means_its_city_date():
    # 2026-11-27 20:00 UTC is Saturday 04:00 in Shanghai.
    assert not calendar.is_working_day(datetime(2026, 11, 27, 20, tzinfo=UTC))


# ---------------------------------------------------------------------------------------------- work_hours


@pytest.mark.parametrize(
    ("start", "amount", "due"),
    [
        (at(2026, 11, 23, 11), 2, at(2026, 11, 23, 15, 30)),  # across lunch
        (at(2026, 11, 23, 10), 2, at(2026, 11, 23, 12)),  # used up at the period's end: due then
        (at(2026, 11, 23, 12), 1, at(2026, 11, 23, 15, 30)),  # start at the period's end
        (at(2026, 11, 23, 7), 2, at(2026, 11, 23, 10, 30)),  # before 08:30
        (at(2026, 11, 23, 0, 0), 1, at(2026, 11, 23, 9, 30)),  # midnight
        (at(2026, 11, 23, 13), 2, at(2026, 11, 23, 16, 30)),  # in the lunch break
        (at(2026, 11, 23, 19), 2, at(2026, 11, 24, 10, 30)),  # after 18:00
        (at(2026, 11, 23, 17), 8, at(2026, 11, 24, 18)),  # 1 h + a whole day: due at Tuesday's close
        (at(2026, 11, 23, 17), 9, at(2026, 11, 25, 9, 30)),  # 1 h + 7 h + 1 h
        (at(2026, 11, 27, 17), 2, at(2026, 11, 30, 9, 30)),  # Friday → Monday
        (at(2026, 11, 28, 10), 4, at(2026, 11, 30, 15)),  # Saturday
        (at(2026, 11, 29, 23, 59), 0.5, at(2026, 11, 30, 9)),  # Sunday night, half an hour
        (at(2026, 9, 30, 17), 2, at(2026, 10, 8, 9, 30)),  # National Day
        (at(2026, 9, 30, 16), 4, at(2026, 10, 8, 10, 30)),
        (at(2026, 10, 3, 10), 1, at(2026, 10, 8, 9, 30)),  # during the holiday
        (at(2026, 10, 9, 16), 4, at(2026, 10, 10, 10, 30)),  # make-up Saturday works
        (at(2026, 10, 10, 17), 2, at(2026, 10, 12, 9, 30)),  # ... Sunday 10-11 does not
        (at(2026, 9, 24, 17), 2, at(2026, 9, 28, 9, 30)),  # Mid-autumn Fri 09-25..Sun 09-27
        # The package does not know 2027: New Year's Day (Fri) is worked unless a CalendarDay says no.
        (at(2026, 12, 31, 17), 2, at(2027, 1, 1, 9, 30)),
        (at(2026, 11, 23, 10), 0, at(2026, 11, 23, 10)),
        (at(2026, 11, 28, 10), 0, at(2026, 11, 28, 10)),  # zero: the start itself, even off hours
    ],
)
def test_work_hours(start, amount, due):
    result = add(start, amount)
    assert result == due
    assert result.tzinfo == SH


def test_any_time_zone_in_city_zone_out():
    start = datetime(2026, 11, 23, 3, tzinfo=UTC)  # 11:00 in Shanghai
    result = add(start, 2)
    assert result == at(2026, 11, 23, 15, 30)
    assert result.tzinfo == SH and result.hour == 15
    assert add(start, 30, "minutes").tzinfo == SH


def test_add_working_duration_is_work_hours_at_any_precision():
    assert calendar.add_working_duration(at(2026, 11, 23, 11), timedelta(hours=2)) == at(2026, 11, 23, 15, 30)
    assert calendar.add_working_duration(at(2026, 11, 23, 11, 59), timedelta(seconds=90)) == at(
        2026, 11, 23, 14, 30, 30
    )


# ---------------------------------------------------------------------------------------------- work_days


@pytest.mark.parametrize(
    ("start", "amount", "due"),
    [
        (at(2026, 11, 23, 10), 1, at(2026, 11, 24, 10)),  # Mon → Tue, same position in the day
        (at(2026, 11, 23, 10), 5, at(2026, 11, 30, 10)),  # a working week, across the weekend
        (at(2026, 11, 27, 16), 1, at(2026, 11, 30, 16)),  # Fri → Mon
        (at(2026, 11, 23, 15), 3, at(2026, 11, 26, 15)),
        (at(2026, 11, 23, 13), 1, at(2026, 11, 24, 12)),  # lunch break counts from the morning's end
        (at(2026, 11, 23, 12), 1, at(2026, 11, 24, 12)),
        (at(2026, 11, 23, 7), 1, at(2026, 11, 23, 18)),  # before work: the whole day
        (at(2026, 11, 23, 8, 30), 1, at(2026, 11, 23, 18)),
        (at(2026, 11, 23, 8, 30), 2, at(2026, 11, 24, 18)),
        (at(2026, 11, 23, 18), 1, at(2026, 11, 24, 18)),  # after work: the next day
        (at(2026, 11, 23, 20), 1, at(2026, 11, 24, 18)),
        (at(2026, 11, 28, 10), 1, at(2026, 11, 30, 18)),  # Saturday → end of Monday
        (at(2026, 11, 28, 10), 2, at(2026, 12, 1, 18)),
        (at(2026, 9, 30, 10), 1, at(2026, 10, 8, 10)),  # across National Day
        (at(2026, 9, 30, 10), 3, at(2026, 10, 10, 10)),  # 10-08, 10-09, Saturday 10-10
        (at(2026, 9, 30, 10), 4, at(2026, 10, 12, 10)),
        (at(2026, 10, 2, 10), 1, at(2026, 10, 8, 18)),  # during the holiday
        (at(2026, 10, 9, 10), 1, at(2026, 10, 10, 10)),  # onto the make-up Saturday
        (at(2026, 11, 23, 10), 0, at(2026, 11, 23, 10)),
    ],
)
def test_work_days(start, amount, due):
    assert add(start, amount, "work_days") == due


def test_a_working_day_is_a_day_of_working_time():
    for start in (at(2026, 11, 23, 10), at(2026, 11, 27, 16), at(2026, 9, 30, 9), at(2026, 11, 28, 10)):
        for n in (1, 2, 5):
            assert calendar.working_time_between(start, add(start, n, "work_days")) == hours(7 * n)


# ---------------------------------------------------------------------------------------------- natural time


def test_natural_minutes_ignore_the_calendar():
    assert add(at(2026, 10, 3, 23, 50), 30, "minutes") == at(2026, 10, 4, 0, 20)
    assert add(at(2026, 11, 23, 11, 50), 60, "minutes") == at(2026, 11, 23, 12, 50)
    assert add(datetime(2026, 11, 23, 3, 50, tzinfo=UTC), 10, "minutes") == at(2026, 11, 23, 12)


# ---------------------------------------------------------------------------------------------- between


@pytest.mark.parametrize(
    ("start", "end", "worked"),
    [
        (at(2026, 11, 23, 11), at(2026, 11, 23, 15, 30), hours(2)),  # across lunch
        (at(2026, 11, 23, 12, 10), at(2026, 11, 23, 14, 20), hours(0)),  # inside lunch
        (at(2026, 11, 23, 17), at(2026, 11, 24, 9, 30), hours(2)),  # across the night
        (at(2026, 11, 23, 0), at(2026, 11, 24, 0), hours(7)),
        (at(2026, 11, 27, 17), at(2026, 11, 30, 9, 30), hours(2)),  # across the weekend
        (at(2026, 11, 28, 9), at(2026, 11, 29, 17), hours(0)),
        (at(2026, 9, 30, 17), at(2026, 10, 8, 9, 30), hours(2)),  # across National Day
        (at(2026, 9, 28, 0), at(2026, 10, 12, 0), hours(7 * 6)),  # 9-28..30, 10-08..10
        (at(2026, 11, 23, 15), at(2026, 11, 23, 11), hours(0)),  # end before start
        (at(2026, 11, 23, 15), at(2026, 11, 23, 15), hours(0)),
        (datetime(2026, 11, 23, 3, tzinfo=UTC), at(2026, 11, 23, 15, 30), hours(2)),
    ],
)
def test_working_time_between(start, end, worked):
    assert calendar.working_time_between(start, end) == worked


def test_between_undoes_add_for_random_starts():
    rnd = random.Random(20261001)
    base = at(2026, 9, 1)
    for _ in range(600):
        start = base + timedelta(minutes=rnd.randrange(0, 200 * 24 * 60))  # into 2027
        n = rnd.randrange(0, 60)
        due = add(start, n, "work_hours")
        assert due >= start
        assert calendar.working_time_between(start, due) == hours(n), (start, n, due)
        if n:  # and nothing earlier would do
            assert calendar.working_time_between(start, due - timedelta(minutes=1)) < hours(n)
        seconds = rnd.randrange(0, 40 * 3600)
        due = calendar.add_working_duration(start, timedelta(seconds=seconds))
        assert calendar.working_time_between(start, due) == timedelta(seconds=seconds)


# ---------------------------------------------------------------------------------------------- table


def test_ensure_default_work_periods():
    assert calendar.ensure_default_work_periods() == 10
    assert calendar.ensure_default_work_periods() == 0
    assert set(WorkPeriod.objects.values_list("weekday", "start", "end")) == {
        (w, a, b) for w in range(5) for a, b in [(time(8, 30), time(12)), (time(14, 30), time(18))]
    }
    assert add(at(2026, 11, 23, 11), 2) == at(2026, 11, 23, 15, 30)


def test_editing_work_periods_changes_results():
    calendar.ensure_default_work_periods()
    assert add(at(2026, 11, 23, 11), 2) == at(2026, 11, 23, 15, 30)
    # Monday becomes one long period (the signal invalidates the cache).
    WorkPeriod.objects.filter(weekday=0).delete()
    assert add(at(2026, 11, 23, 11), 2) == at(2026, 11, 24, 10, 30)  # Monday is no longer worked
    WorkPeriod.objects.create(weekday=0, start=time(9), end=time(17))
    assert add(at(2026, 11, 23, 11), 2) == at(2026, 11, 23, 13)
    assert calendar.work_periods(date(2026, 11, 23)) == [(at(2026, 11, 23, 9), at(2026, 11, 23, 17))]
    # Saturday mornings worked.
    period = WorkPeriod.objects.create(weekday=5, start=time(9), end=time(12))
    assert add(at(2026, 11, 27, 17), 2) == at(2026, 11, 28, 10)
    period.end = time(9, 30)
    period.save()
    assert add(at(2026, 11, 27, 17), 2) == at(2026, 11, 30, 9, 30)  # 1 h Fri, 0.5 h Sat, 0.5 h Mon
    # The package's holidays still win over the weekly pattern: Saturday 10-03 is not worked.
    assert not calendar.is_working_day(date(2026, 10, 3))


def test_make_up_day_uses_the_first_weekday_with_periods():
    WorkPeriod.objects.create(weekday=1, start=time(9), end=time(17))  # only Tuesday has rows
    assert not calendar.is_working_day(date(2026, 11, 23))  # Monday
    assert calendar.work_periods(date(2026, 10, 10)) == [(at(2026, 10, 10, 9), at(2026, 10, 10, 17))]


def test_calendar_day_rows_are_seen_at_once():
    assert add(at(2027, 2, 12, 17), 2) == at(2027, 2, 15, 9, 30)
    CalendarDay.objects.create(date=date(2027, 2, 15), is_working=False, note="春节")
    assert add(at(2027, 2, 12, 17), 2) == at(2027, 2, 16, 9, 30)
    CalendarDay.objects.filter(date=date(2027, 2, 15)).delete()  # queryset delete still signals
    assert add(at(2027, 2, 12, 17), 2) == at(2027, 2, 15, 9, 30)


def test_no_query_once_warm(django_assert_num_queries):
    add(at(2026, 11, 23, 11), 2)
    with django_assert_num_queries(0):
        for day in range(1, 28):
            add(at(2026, 10, day, 11), 30, "work_hours")
            add(at(2026, 10, day, 11), 3, "work_days")
            calendar.working_time_between(at(2026, 9, day), at(2026, 11, day))
            calendar.is_working_day(date(2027, 1, day))


def test_another_process_change_is_seen_through_the_shared_version(monkeypatch):
    assert add(at(2027, 2, 12, 17), 2) == at(2027, 2, 15, 9, 30)
    CalendarDay.objects.bulk_create([CalendarDay(date=date(2027, 2, 15), is_working=False)])  # no signal
    assert add(at(2027, 2, 12, 17), 2) == at(2027, 2, 15, 9, 30)  # cached
    calendar.shared.bump_version()  # what invalidate() in another process does
    monkeypatch.setattr(calendar.shared, "next_check", 0.0)  # as if CHECK_INTERVAL had passed
    assert add(at(2027, 2, 12, 17), 2) == at(2027, 2, 16, 9, 30)


# ---------------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize("unit", ["minutes", "work_hours", "work_days"])
def test_naive_datetimes_are_rejected(unit):
    with pytest.raises(ValueError, match="aware"):
        add(datetime(2026, 11, 23, 10), 1, unit)


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match="aware"):
        calendar.working_time_between(at(2026, 11, 23, 10), datetime(2026, 11, 24, 10))
    with pytest.raises(ValueError, match="negative"):
        add(at(2026, 11, 23, 10), -1)
    with pytest.raises(ValueError, match="negative"):
        calendar.add_working_duration(at(2026, 11, 23, 10), timedelta(seconds=-1))
    with pytest.raises(ValueError, match="unit"):
        add(at(2026, 11, 23, 10), 1, "hours")
    with pytest.raises(ValueError, match="whole"):
        add(at(2026, 11, 23, 10), 1.5, "work_days")
    with pytest.raises(ValueError):
        add(date(2026, 11, 23), 1)


def test_a_calendar_without_working_days_fails_instead_of_looping():
    # Every period empty is impossible through the table, so close a long stretch by override.
    start = date(2027, 1, 1)
    CalendarDay.objects.bulk_create(
        [CalendarDay(date=start + timedelta(days=k), is_working=False) for k in range(calendar.MAX_IDLE_DAYS + 10)]
    )
    calendar.invalidate()
    with pytest.raises(ValueError, match="no working day"):
        add(at(2027, 1, 1, 10), 1)
    with pytest.raises(ValueError, match="no working day"):
        add(at(2027, 1, 1, 10), 1, "work_days")
