"""Day and month reports per inspector and per street, their exports, and the on-duty and coverage
rates as inspector indicators in evaluation (weights configurable)."""

import io
from datetime import datetime, timedelta

import pytest
import time_machine
from openpyxl import load_workbook

from evaluation.indicators import inspector_table
from evaluation.models import EvaluationSettings
from evaluation.periods import from_dates
from field import attendance, reports
from field.models import PositionSample
from tests.conftest import LAT, LNG, SHANGHAI, T0

DAY = T0.date()


@pytest.fixture
def patrolled(city):
    """inspector1 on Tuesday: clocked in 08:30–18:00, walked cell 01 only (of their 2)."""
    one = city.user("inspector1")
    attendance.clock(one, "clock_in", LNG, LAT, now=datetime(2026, 11, 24, 8, 30, tzinfo=SHANGHAI))
    attendance.clock(one, "clock_out", LNG, LAT, now=datetime(2026, 11, 24, 18, 0, tzinfo=SHANGHAI))
    PositionSample.objects.bulk_create(
        [
            PositionSample(user=one, lng=LNG, lat=LAT + k * 1e-5, recorded_at=T0 + timedelta(seconds=10 * k))
            for k in range(3)
        ]
    )
    return city


@pytest.fixture
def later():
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        yield


def test_day_summary_per_inspector(patrolled, later):
    rows = {s.key: s for s in reports.by_inspector(reports.inspector_days(DAY, DAY))}
    one = rows["inspector1"]
    assert (one.days_due, one.days_present, one.late, one.early, one.absent) == (1, 1, 0, 0, 0)
    assert (one.cells_assigned, one.cells_entered, one.coverage_rate) == (2, 1, 50.0)
    assert one.on_duty_rate == 100.0
    assert one.street == "人民路街道"
    two = rows["inspector2"]  # no grid, never came
    assert (two.absent, two.coverage_rate, two.on_duty_rate) == (1, None, 0.0)


def test_month_summary_per_street_counts_days_so_far(patrolled, later):
    # November up to the 25th (today, 09:00): 18 working days due, one patrolled, today not over yet.
    streets = reports.by_street(reports.inspector_days(DAY.replace(day=1), DAY.replace(day=30)))
    (street,) = [s for s in streets if s.label == "人民路街道"]
    assert street.days_due == 18
    assert street.days_present == 1
    assert street.absent == 16
    assert street.cells_entered == 1
    assert street.cells_assigned == 2 * 18


def test_report_page_and_exports(client, patrolled, later):
    client.force_login(patrolled.user("supervisor"))
    page = client.get("/field/reports/", {"date": "2026-11-24"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "inspector1" in text and "人民路街道" in text and "50.0" in text
    csv_text = client.get("/field/reports.csv", {"date": "2026-11-24"}).content.decode("utf-8-sig")
    header, first = csv_text.splitlines()[:2]
    assert header.startswith("监督员,街道,考勤,上班打卡,下班打卡,责任网格数,进入网格数,覆盖率 %")
    assert first.startswith("inspector1,人民路街道,正常,08:30,18:00,2,1,50.0")
    book = load_workbook(io.BytesIO(client.get("/field/reports.xlsx", {"month": "2026-11", "by": "street"}).content))
    sheet = book.active
    assert sheet.cell(1, 1).value == "街道"
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["—", "人民路街道"]


@pytest.mark.parametrize("query", [{"date": "2026-02-30"}, {"month": "2026-13"}, {"by": "everyone"}])
def test_report_bad_input_is_400(client, city, later, query):
    client.force_login(city.user("leader"))
    assert client.get("/field/reports/", query).status_code == 400


@pytest.mark.parametrize("username", ["inspector1", "calltaker", "dispatcher", "staff_huanwei"])
def test_report_is_for_supervisors_and_leaders(client, city, later, username):
    client.force_login(city.user(username))
    assert client.get("/field/reports/").status_code == 403


def test_rates_are_inspector_indicators_with_configurable_weights(patrolled, make_case, later):
    make_case("reported", actor=patrolled.user("inspector1"), source="inspector", now=T0)
    period = from_dates(DAY, DAY)
    (row,) = [r for r in inspector_table(period) if r["username"] == "inspector1"]
    assert (row["on_duty_rate"], row["coverage_rate"]) == (100.0, 50.0)
    standard = row["score"]  # by default the standard's score, the two rates weighing nothing
    EvaluationSettings.objects.create(
        inspector_weights={"valid_reports": 0, "no_missed_reports": 0, "on_time_verify": 0, "on_time_check": 0,
                           "on_duty": 50, "coverage": 50}
    )  # fmt: skip
    (row,) = [r for r in inspector_table(period) if r["username"] == "inspector1"]
    assert row["score"] == 75.0
    assert row["score"] != standard
