"""The wall's figures (maps.wall): today against the same hours of yesterday, the 30-day trend, the
month's categories, sources and departments, the red list, inspectors on duty, the feed; and the
summary feed and page that carry them."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from dispatch.management.commands.run_worker import scan_once
from field import positions
from maps import wall
from tests.conftest import LAT, LNG, T0

# T0 is a Tuesday 09:00 in Shanghai: "yesterday at the same time" is Monday 09:00.
YESTERDAY = T0 - timedelta(days=1)


def client_for(city, username):
    client = Client()
    client.force_login(city.user(username))
    return client


@pytest.fixture(autouse=True)
def _empty_position_store():
    positions.store().clear()
    yield
    positions.store().clear()


def test_today_against_the_same_hours_of_yesterday(city, make_case):
    make_case("closed", now=YESTERDAY - timedelta(hours=1))  # Monday 08:00: counts for yesterday
    make_case("reported", now=YESTERDAY + timedelta(hours=2))  # Monday 11:00: after the hour, left out
    make_case("dispatched", now=T0 - timedelta(minutes=30))
    make_case("reported", now=T0 - timedelta(minutes=10))
    make_case("reported", now=T0 + timedelta(minutes=10))  # later than now: not yet
    figures = wall.today_vs_yesterday(T0)
    assert figures["reported"] == {"today": 2, "yesterday": 1}
    assert figures["registered"] == {"today": 1, "yesterday": 1}
    assert figures["dispatched"] == {"today": 1, "yesterday": 1}
    assert figures["handled"] == {"today": 0, "yesterday": 1}
    assert figures["closed"] == {"today": 0, "yesterday": 1}
    assert figures["on_time_rate"] == {"today": None, "yesterday": 100.0}
    assert figures["overdue"] == {"today": 0, "yesterday": 0}


def test_overdue_counts_cases_that_turned_red(city, make_case):
    case = make_case("dispatched", now=T0 - timedelta(days=3))
    scan_once(T0 - timedelta(hours=2))  # its 4 working hours are long gone: red today
    figures = wall.today_vs_yesterday(T0)
    assert figures["overdue"]["today"] == 1
    red = wall.red_list(T0)
    assert red["count"] == 1 and red["cases"][0]["number"] == case.number
    assert red["cases"][0]["category"] == "暴露垃圾" and red["cases"][0]["department"] == "环卫"
    assert red["cases"][0]["overdue"].endswith("工时")  # past its 4 working hours, in working hours


def test_trend_per_day_reported_and_closed(city, make_case):
    make_case("closed", now=T0 - timedelta(days=2))
    make_case("reported", now=T0 - timedelta(days=2))
    make_case("reported", now=T0 - timedelta(days=40))  # before the 30 days
    make_case("reported", now=T0)
    t = wall.trend(T0)
    assert len(t["days"]) == 30 and t["days"][-1] == "11-24" and t["days"][-3] == "11-22"
    assert t["reported"][-3:] == [2, 0, 1] and t["closed"][-3:] == [1, 0, 0]
    assert sum(t["reported"]) == 3


def test_month_categories_and_sources(city, make_case):
    make_case("reported", now=T0)
    make_case("reported", now=T0, category=city.categories["manhole"])
    make_case("reported", now=T0, category=city.categories["manhole"], source="sms")
    make_case("reported", now=T0, actor=city.user("inspector1"), source="inspector")
    make_case("reported", now=T0 - timedelta(days=30))  # last month
    top = wall.top_categories(T0)
    assert [(c["name"], c["n"]) for c in top] == [("暴露垃圾", 2), ("雨水井盖", 2)]  # a tie: in table order
    assert {c["code"] for c in top} == {"E0102", "C0103"}
    mix = {s["key"]: s["n"] for s in wall.source_mix(T0)}
    assert mix == {"inspector": 1, "hotline": 2, "sms": 1, "voice": 0, "web": 0}


def test_departments_ranked_by_on_time_handling(city, make_case):
    make_case("checking", now=T0 - timedelta(hours=1))  # handled by 环卫 at once: on time
    rows = wall.department_ranking(T0)
    assert rows[0]["name"] == "环卫" and rows[0]["rate"] == 100.0
    assert [r["name"] for r in rows] == ["环卫"]


def test_department_ranking_agrees_with_evaluation(city, make_case):
    """The wall reads overdue-unhandled from the cases now; evaluation from each case's last event
    before the period's end. For a period ending now both must give the same rates."""
    from dispatch import services
    from evaluation.indicators import Period, department_table
    from tests.conftest import jpeg

    make_case("checking", now=T0 - timedelta(hours=2))  # 环卫: handled on time
    make_case("dispatched", now=T0 - timedelta(days=2))  # 环卫: overdue, unhandled
    make_case("dispatched", now=T0 - timedelta(minutes=20))  # 环卫: not due yet
    late = make_case("dispatched", now=T0 - timedelta(days=3))
    services.act(late.number, "handle", city.user("staff_huanwei"), params={"note": "迟了"},
                 photo_files=[jpeg()], now=T0 - timedelta(hours=1))  # fmt: skip  # 环卫: handled late
    shizheng = make_case("registered", now=T0 - timedelta(days=2))
    services.act(shizheng.number, "dispatch", city.user("dispatcher"), params={"department": "shizheng"},
                 now=T0 - timedelta(days=2))  # fmt: skip  # 市政: overdue, unhandled
    scan_once(T0 - timedelta(minutes=30))
    now = T0
    month = Period(wall._day_start(now.date().replace(day=1)), now)
    expected = {r["name"]: r["on_time_handling_rate"] for r in department_table(month)}
    got = {r["name"]: r["rate"] for r in wall.department_ranking(now)}
    assert got == expected == {"环卫": 33.33, "市政": 0.0}  # 环卫: 1 on time of 2 handled + 1 overdue


def test_inspectors_on_duty_by_recent_position(city):
    from django.utils import timezone

    now = timezone.now()
    positions.record(city.user("inspector1"), [{"lng": LNG, "lat": LAT, "recorded_at": now - timedelta(minutes=5)}])
    positions.record(city.user("inspector2"), [{"lng": LNG, "lat": LAT, "recorded_at": now - timedelta(hours=2)}])
    duty = wall.on_duty(now)
    assert duty["count"] == 1
    assert duty["people"] == [{"username": "inspector1", "name": "inspector1", "street": "人民路街道"}]


def test_feed_newest_first_with_place_names_not_codes(city, make_case):
    first = make_case("reported", now=T0 - timedelta(hours=1), address="")
    second = make_case("registered", now=T0)
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        feed = wall.latest_cases()
    assert [f["number"] for f in feed] == [second.number, first.number]
    assert feed[0]["state"] == "registered" and feed[0]["source"] == "hotline"
    assert feed[1]["place"] == "白银区 人民路街道 金鱼社区" and feed[0]["time"] == "09:00"
    assert not any(ch.isdigit() for ch in feed[1]["place"])


def test_an_address_made_of_names_loses_its_grid_code(city, make_case):
    case = make_case("reported", now=T0, address="人民路街道 金鱼社区 (62040200100101)")
    assert wall.place_name(case) == "人民路街道 金鱼社区"


@pytest.mark.parametrize(("username", "status"), [("leader", 200), ("calltaker", 200), ("inspector1", 403)])
def test_summary_feed_by_role(city, make_case, username, status):
    make_case("reported")
    response = client_for(city, username).get("/maps/api/wall.json")
    assert response.status_code == status
    if status == 200:
        body = response.json()
        assert set(body) == {
            "last_id", "today", "trend", "categories", "sources", "departments", "red", "inspectors", "feed",
        }  # fmt: skip
        assert body["feed"][0]["category"] == "暴露垃圾"


def test_summary_follows_the_log(city, make_case):
    """Cached per log id: a new event gives a new summary at once."""
    client = client_for(city, "leader")
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        make_case("reported", now=T0)
        before = client.get("/maps/api/wall.json").json()
        make_case("reported", now=T0 + timedelta(minutes=30))
        after = client.get("/maps/api/wall.json").json()
    assert after["last_id"] > before["last_id"]
    assert after["today"]["reported"]["today"] == before["today"]["reported"]["today"] + 1 == 2
    assert len(after["feed"]) == 2


def test_wall_page_in_english_names_every_panel(city):
    client = client_for(city, "leader")
    html = client.get("/maps/wall/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for words in ["Reported today", "On time today", "Latest cases", "Inspectors on duty", "Red-light cases"]:
        assert words in html, words
    assert "/static/maps/vendor/echarts/echarts.min.js" in html
    assert "https://" not in html
