"""The working calendar cannot silently go wrong: a year without a schedule is named by `check`,
fails `check --deploy`, shows in /readyz and in a banner for admins; importing the sample 2027 file
(CSV or iCalendar, checked whole) clears it."""

from datetime import date, datetime
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client

from city import calendar
from city.importers import calendar as calendar_import
from city.models import CalendarDay
from tests.conftest import SHANGHAI, T0

DATA = Path(__file__).parent / "data"
SAMPLE_CSV = DATA / "calendar_2027.csv"
SAMPLE_ICS = DATA / "calendar_2027.ics"

pytestmark = pytest.mark.django_db


def test_the_coming_year_is_missing_within_60_days_only(db):
    assert calendar.years_without_schedule(date(2026, 10, 1)) == []  # 92 days before 2027
    assert calendar.years_without_schedule(date(2026, 11, 2)) == [2027]  # 60 days before
    assert calendar.years_without_schedule(date(2027, 3, 1)) == [2027]  # begun


def test_check_warns_and_check_deploy_fails_until_the_sample_2027_file_is_imported(db, capsys):
    with time_machine.travel(T0, tick=False):  # 2026-11-24: 2027 begins in 38 days
        call_command("check", tags=["calendar"])
        assert "city.W001" in capsys.readouterr().err
        with pytest.raises(SystemCheckError, match="2027"):
            call_command("check", deploy=True, tags=["calendar"])
        days = calendar_import.parse(SAMPLE_CSV.name, SAMPLE_CSV.read_bytes())
        calendar_import.import_days(days)
        call_command("check", deploy=True, tags=["calendar"])
        assert "city.W001" not in capsys.readouterr().err


def test_the_imported_holiday_is_not_a_working_day(db):
    assert calendar.is_working_day(date(2027, 1, 1))  # the trap: a Friday counted as worked
    calendar_import.import_days(calendar_import.parse(SAMPLE_CSV.name, SAMPLE_CSV.read_bytes()))
    assert not calendar.is_working_day(date(2027, 1, 1))
    assert calendar.is_working_day(date(2027, 1, 31))  # a make-up Sunday


def test_the_icalendar_file_gives_the_same_days(db):
    days = {d.date: d.is_working for d in calendar_import.parse(SAMPLE_ICS.name, SAMPLE_ICS.read_bytes())}
    assert days[date(2027, 1, 1)] is False and days[date(2027, 1, 3)] is False and date(2027, 1, 4) not in days
    assert days[date(2027, 1, 31)] is True and days[date(2027, 10, 9)] is True
    assert len([d for d, w in days.items() if not w]) == 3 + 7 + 7


def test_a_file_with_one_bad_line_writes_nothing(db):
    content = SAMPLE_CSV.read_bytes() + b"2027-13-01,0,bad\n2027-12-31,maybe,x\n"
    with pytest.raises(calendar_import.CalendarFileError) as refused:
        calendar_import.parse("2027.csv", content)
    assert len(refused.value.problems) == 2
    assert not CalendarDay.objects.exists()


def test_readyz_names_the_missing_year(db):
    with time_machine.travel(T0, tick=False):
        body = Client().get("/readyz").json()
    assert body["warnings"]["calendar"]["years_without_schedule"] == [2027]


def test_admins_see_a_banner_and_import_through_the_admin(city):
    admin = city.user("admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client = Client()
    client.force_login(admin)
    with time_machine.travel(datetime(2026, 12, 2, 9, tzinfo=SHANGHAI), tick=False):
        html = client.get("/console/supervision/").content.decode()
        assert 'class="calendar-gap"' in html and "2027" in html
        # A bad file is refused whole and nothing is written.
        bad = ("bad.csv", b"date,is_working,note\n2027-01-01,0,x\nnot-a-date,1,y\n")
        from django.core.files.uploadedfile import SimpleUploadedFile

        page = client.post("/admin/city/calendarday/import/", {"file": SimpleUploadedFile(*bad)})
        assert page.status_code == 200 and "import-problems" in page.content.decode()
        assert not CalendarDay.objects.exists()
        upload = SimpleUploadedFile("calendar_2027.ics", SAMPLE_ICS.read_bytes())
        assert client.post("/admin/city/calendarday/import/", {"file": upload}).status_code == 302
        assert CalendarDay.objects.filter(date__year=2027).count() == 3 + 7 + 7 + 1 + 1
        assert 'class="calendar-gap"' not in client.get("/console/supervision/").content.decode()


def test_other_roles_see_no_banner(city):
    client = Client()
    client.force_login(city.user("dispatcher"))
    with time_machine.travel(T0, tick=False):
        assert 'class="calendar-gap"' not in client.get("/console/dispatch/").content.decode()
