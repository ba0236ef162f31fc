"""System checks: `manage.py check` warns, and `check --deploy` fails, when the working calendar
has no schedule for a year that has begun or begins within 60 days."""

from django.core.checks import Error, Warning, register
from django.db import DatabaseError

from . import calendar

HINT = "Import the year's holidays and make-up working days (admin: 日历调整 → 导入), or add CalendarDay rows."


def _missing():
    try:
        return calendar.years_without_schedule()
    except DatabaseError:
        return []  # no table yet (before migrate): nothing to check


@register("calendar")
def calendar_covers_the_coming_year(app_configs=None, **kwargs):
    return [
        Warning(f"The working calendar has no schedule for {year}.", hint=HINT, id="city.W001") for year in _missing()
    ]


@register("calendar", deploy=True)
def calendar_covers_the_coming_year_for_deploy(app_configs=None, **kwargs):
    return [
        Error(f"The working calendar has no schedule for {year}: deadlines would be wrong.", hint=HINT, id="city.E001")
        for year in _missing()
    ]
