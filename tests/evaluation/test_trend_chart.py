"""The departments' monthly trend chart (ECharts): readable with 12 departments — the five best
latest scores in colour, the others thin and grey until hovered."""

import json
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from city.models import Department
from dispatch import services
from evaluation.views import trend_top
from tests.live import page_on_a_closed_network, session_cookie_for

GREY = "#c3c9d1"


def test_top_five_by_latest_score():
    series = {f"部门{k:02d}": [None, 50 + k, None] for k in range(12)}  # latest score: 50 + k, a month ago
    series["部门03"][-1] = 99.0  # the latest month counts first
    series["无数据"] = [None, None, None]
    assert trend_top(series) == ["部门03", "部门11", "部门10", "部门09", "部门08"]


def test_ties_go_by_name():
    assert trend_top({"乙": [80.0], "甲": [80.0], "丙": [70.0]}, n=2) == sorted(["甲", "乙"])


def twelve_departments_with_scores(city, make_case, when):
    """Ten more departments; one case dispatched to each of the twelve, left overdue: each has a score."""
    codes = list(city.departments)
    for k in range(10):
        codes.append(Department.objects.create(code=f"d{k:02d}", name=f"第{k + 1}部门").code)
    for code in codes:
        case = make_case("registered", now=when)
        services.act(case.number, "dispatch", city.user("dispatcher"), params={"department": code}, now=when)
    return codes


def test_ranking_page_carries_the_highlighted_departments(city, make_case):
    twelve_departments_with_scores(city, make_case, timezone.now() - timedelta(days=3))
    client = Client()
    client.force_login(city.user("leader"))
    html = client.get("/evaluation/departments/").content.decode()
    data = json.loads(re.search(r'<script id="trend-data" type="application/json">(.*?)</script>', html, re.S)[1])
    assert len(data["series"]) == 12 and len(data["top"]) == 5 and set(data["top"]) <= set(data["series"])
    assert "/static/maps/vendor/echarts/echarts.min.js" in html and "https://" not in html


@pytest.mark.browser
def test_the_chart_draws_five_in_colour_and_seven_in_grey(live_url, browser, city, make_case):
    twelve_departments_with_scores(city, make_case, timezone.now() - timedelta(days=3))
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    ctx.add_cookies([session_cookie_for(city.user("leader"), live_url)])
    page, outside, _failed = page_on_a_closed_network(ctx, live_url)
    page.goto(f"{live_url}/evaluation/departments/")
    expect(page.locator("#trend canvas").first).to_be_attached(timeout=15000)
    series = page.evaluate(
        "window.evaluationTrend.getOption().series.map((s) => ({name: s.name, color: s.lineStyle.color,"
        " width: s.lineStyle.width, hover: s.emphasis.lineStyle.color}))"
    )
    assert len(series) == 12
    coloured = [s for s in series if s["color"] != GREY]
    grey = [s for s in series if s["color"] == GREY]
    assert len(coloured) == 5 and len(grey) == 7
    assert all(s["width"] < c["width"] for s in grey for c in coloured)
    assert all(s["hover"] != GREY for s in grey)  # hovered, a grey line takes its own colour
    assert outside == []
    ctx.close()
