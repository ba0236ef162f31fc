"""Outputs a leader can hand on: the monthly report and the drill-down read as names and words in
the interface's language (Chinese and English), times in the city's zone, no field key, no raw
setting dump, no ISO timestamp; error pages name fields and problems in words."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from tests.conftest import T0, jpeg

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
ZH, EN = "zh-hans", "en"


def page(city, username, url, lang, **query):
    client = Client()
    client.force_login(city.user(username))
    r = client.get(url, query, HTTP_ACCEPT_LANGUAGE=lang)
    return r.status_code, r.content.decode()


@pytest.fixture
def history(city, make_case):
    """November: one case handled late and reworked, one closed (the report's tables have rows)."""
    from city.models import Category
    from dispatch import services

    Category.objects.filter(name="暴露垃圾").update(name_en="Exposed rubbish")
    case = make_case("dispatched", now=T0)
    late = T0 + timedelta(days=1)
    services.act(
        case.number, "handle", city.user("staff_huanwei"), params={"note": "迟了"}, photo_files=[jpeg()], now=late
    )
    services.act(case.number, "check", city.user("inspector1"), params={"result": "failed"}, now=late)
    make_case("closed", now=T0)
    return case


@pytest.mark.parametrize(
    "lang, words",
    [
        (ZH, ["考核参数", "结案率", "按期处置率", "不超过 50 件", "100 分", "不低于 90 分", "人民路街道", "值班长",
              "环卫"]),
        (EN, ["Evaluation settings", "Closure rate", "On-time handling rate", "up to 50 cases", "100 points",
              "90 points or more", "人民路街道", "Shift leader", "环卫"]),
    ],
)  # fmt: skip
def test_monthly_report_shows_settings_areas_and_roles_by_name(city, history, lang, words):
    with time_machine.travel(T0 + timedelta(days=10), tick=False):
        status, html = page(city, "leader", "/evaluation/report/", lang, month="2026-11")
    assert status == 200
    for word in words:
        assert word in html, word
    assert "department_weights" not in html and "{&#x27;volume" not in html and "no_rework" not in html
    assert ">call_taker<" not in html and ">620402001<" not in html  # roles and areas by name
    assert 'title="620402001"' in html  # the code on hover
    assert not ISO.search(html)


@pytest.mark.parametrize("lang, category, late_word", [(ZH, "暴露垃圾", "处置于"), (EN, "Exposed rubbish", "handled")])
def test_drilldown_titled_by_department_with_names_and_local_times(city, history, lang, category, late_word):
    status, html = page(
        city, "leader", "/evaluation/departments/huanwei/", lang, **{"from": "2026-11-24", "to": "2026-11-25"}
    )
    assert status == 200
    assert re.search(r"<h1[^>]*>环卫 <small>", html)
    assert category in html and late_word in html
    assert not ISO.search(html) and "+00:00" not in html
    assert "人民路街道 金鱼社区" in html or "白银区 人民路街道" in html  # the place by name


def test_area_drilldown_titled_by_area_name(city, history):
    status, html = page(
        city, "leader", "/evaluation/areas/620402001/", ZH, **{"from": "2026-11-24", "to": "2026-11-25"}
    )
    assert status == 200 and re.search(r"<h1[^>]*>白银区 人民路街道 <small>", html)


@pytest.mark.parametrize("lang, expected", [(ZH, "开始日期: 格式不对"), (EN, "Start date: invalid format")])
def test_error_pages_name_fields_and_problems_in_words(city, lang, expected):
    status, html = page(city, "leader", "/evaluation/departments/", lang, **{"from": "bad"})
    assert status == 400
    assert expected in html
    assert "{" not in html.split("<main")[-1].split("</main>")[0] if "<main" in html else True
    assert "from: invalid" not in html


def test_field_labels_have_words_for_every_problem_the_code_raises():
    import pathlib

    from citymgmt.field_labels import FIELD_LABELS, PROBLEM_LABELS

    root = pathlib.Path(__file__).resolve().parents[2]
    raised = set()
    for path in root.glob("*/**/*.py"):
        if "tests" in path.parts or ".venv" in path.parts:
            continue
        for key, value in re.findall(r'fields=\{"(\w+)": "(\w+)"', path.read_text(encoding="utf-8")):
            raised.add((key, value))
    missing = [(k, v) for k, v in raised if k not in FIELD_LABELS or v not in PROBLEM_LABELS]
    assert not missing, missing
