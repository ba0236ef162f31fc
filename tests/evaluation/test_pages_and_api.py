"""Evaluation API, pages and exports: roles, parameters, formats, publishing."""

import csv
import io
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from evaluation.models import PublishedReport
from mobile_api.models import ApiToken


def api_for(city, username):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.issue(city.user(username))[1]}")
    return client


def page_for(city, username):
    client = Client()
    client.force_login(city.user(username))
    return client


@pytest.fixture
def today_cases(city, make_case):
    now = timezone.now()
    return [make_case("closed", now=now), make_case("dispatched", now=now)]


@pytest.mark.parametrize("table", ["departments", "inspectors", "areas", "staff"])
def test_api_tables_for_leaders(city, today_cases, table):
    day = timezone.localdate().isoformat()
    r = api_for(city, "leader").get(f"/api/v1/evaluation/{table}", {"from": day, "to": day})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["table"] == table and body["from"] == day and body["rows"]


def test_api_department_row(city, today_cases):
    day = timezone.localdate().isoformat()
    rows = api_for(city, "supervisor").get("/api/v1/evaluation/departments", {"from": day, "to": day}).json()["rows"]
    (huanwei,) = [r for r in rows if r["code"] == "huanwei"]
    assert (huanwei["dispatched"], huanwei["handled"], huanwei["closed"]) == (2, 1, 1)
    assert huanwei["grade"] in "ABCDE" and huanwei["score"] is not None


def test_api_areas_by_level(city, today_cases):
    r = api_for(city, "leader").get("/api/v1/evaluation/areas", {"level": "community"}).json()
    assert [row["code"] for row in r["rows"]] == ["620402001001"] and r["level"] == "community"


@pytest.mark.parametrize("username", ["dispatcher", "inspector1", "staff_huanwei", "calltaker"])
def test_api_refuses_other_roles(city, username):
    assert api_for(city, username).get("/api/v1/evaluation/departments").status_code == 403


@pytest.mark.parametrize(
    "query",
    [
        {"from": "yesterday"},
        {"from": "2026-11-20", "to": "2026-11-01"},
        {"from": "2020-01-01", "to": "2026-01-01"},
        {"level": "planet"},
    ],
)
def test_api_bad_parameters_are_400(city, query):
    r = api_for(city, "leader").get("/api/v1/evaluation/areas", query)
    assert r.status_code == 400 and r.json()["error"]["fields"]


def test_api_unknown_table_is_404(city):
    assert api_for(city, "leader").get("/api/v1/evaluation/planets").status_code == 404


def test_ranking_pages_and_comparisons(city, today_cases):
    client = page_for(city, "leader")
    for table in ["departments", "areas", "inspectors", "staff"]:
        r = client.get(f"/evaluation/{table}/")
        assert r.status_code == 200, table
        assert "环比" in r.content.decode() and "同比" in r.content.decode()
    html = client.get("/evaluation/departments/").content.decode()
    assert "环卫" in html and 'id="trend-data"' in html
    assert page_for(city, "dispatcher").get("/evaluation/").status_code == 403
    assert client.get("/evaluation/departments/?from=bad").status_code == 400


def test_drilldown_lists_the_cases_behind_the_figures(city, make_case):
    from dispatch import services
    from tests.conftest import T0, jpeg

    case = make_case("dispatched", now=T0)
    late = T0 + timedelta(days=1)
    services.act(
        case.number, "handle", city.user("staff_huanwei"), params={"note": "迟了"}, photo_files=[jpeg()], now=late
    )
    services.act(case.number, "check", city.user("inspector1"), params={"result": "failed"}, now=late)
    html = (
        page_for(city, "leader")
        .get("/evaluation/departments/huanwei/", {"from": "2026-11-24", "to": "2026-11-25"})
        .content.decode()
    )
    assert html.count(f">{case.number}</a>") == 2  # handled late, and reworked (each a link to the case)


def test_exports_csv_and_xlsx(city, today_cases):
    client = page_for(city, "leader")
    r = client.get("/evaluation/departments.csv")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][0] == "部门" and any(row[0] == "环卫" for row in rows[1:])
    r = client.get("/evaluation/areas.xlsx")
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet.cell(1, 1).value == "区域编码" and sheet.cell(2, 1).value == "620402001"
    assert client.get("/evaluation/departments.pdf").status_code == 404


def test_publishing_a_month_keeps_its_figures_and_settings(city, make_case):
    from evaluation.models import EvaluationSettings
    from tests.conftest import T0

    make_case("closed", now=T0)
    client = page_for(city, "leader")
    assert client.post("/evaluation/report/publish", {"month": f"{timezone.localdate():%Y-%m}"}).status_code == 400
    r = client.post("/evaluation/report/publish", {"month": "2026-10"})
    assert r.status_code == 302
    report = PublishedReport.objects.get()
    assert report.settings_used["department_weights"]["closure"] == 30
    EvaluationSettings.objects.create(
        department_weights={"volume": 25, "closure": 25, "on_time_handling": 25, "no_rework": 25}
    )
    client.post("/evaluation/report/publish", {"month": "2026-10"})  # a second publication changes nothing
    assert PublishedReport.objects.get().settings_used["department_weights"]["closure"] == 30
    page = client.get("/evaluation/report/", {"month": "2026-10"}).content.decode()
    assert "已于" in page
    november = client.get("/evaluation/report/", {"month": "2026-11"}).content.decode()
    assert "环卫" in november
