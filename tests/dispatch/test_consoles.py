"""The consoles' pages and JSON: who may open what, what the lists hold, the intake form."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from city.models import Place
from dispatch.models import Case
from tests.conftest import LAT, LNG, T0


def client_for(city, username):
    client = Client()
    client.force_login(city.user(username))
    return client


@pytest.mark.parametrize(
    ("username", "landing"),
    [
        ("calltaker", "/console/supervision/"),
        ("supervisor", "/console/supervision/"),
        ("dispatcher", "/console/dispatch/"),
        ("staff_huanwei", "/console/department/"),
        ("leader", "/maps/"),
        ("inspector1", "/m/"),
    ],
)
def test_each_role_lands_on_its_console(city, username, landing):
    r = client_for(city, username).get("/")
    assert r.status_code == 302 and r["Location"] == landing
    assert client_for(city, username).get(landing).status_code == 200


@pytest.mark.parametrize(
    ("username", "console", "status"),
    [
        ("inspector1", "supervision", 403),
        ("dispatcher", "supervision", 403),
        ("calltaker", "dispatch", 403),
        ("staff_huanwei", "dispatch", 403),
        ("supervisor", "department", 403),
        ("leader", "dispatch", 200),
        ("leader", "department", 403),
        ("supervisor", "dispatch", 200),
        ("dispatcher", "nonsense", 404),
    ],
)
def test_console_access_by_role(city, username, console, status):
    assert client_for(city, username).get(f"/console/{console}/").status_code == status
    if status != 404:
        assert client_for(city, username).get(f"/console/{console}/snapshot").status_code == status


def test_anonymous_is_sent_to_login(city):
    r = Client().get("/console/dispatch/")
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]
    assert Client().get("/console/dispatch/snapshot").status_code == 302


def test_snapshots_hold_each_consoles_cases(city, make_case):
    reported = make_case("reported")
    registered = make_case("registered")
    dispatched = make_case("dispatched")
    make_case("closed")
    sup = client_for(city, "supervisor").get("/console/supervision/snapshot").json()
    assert [c["number"] for c in sup["cases"]] == [reported.number]
    assert sup["last_id"] > 0
    disp = client_for(city, "dispatcher").get("/console/dispatch/snapshot").json()
    assert sorted(c["number"] for c in disp["cases"]) == sorted([registered.number, dispatched.number])
    assert disp["counts"]["states"] == {"reported": 1, "registered": 1, "dispatched": 1}
    dept = client_for(city, "staff_huanwei").get("/console/department/snapshot").json()
    assert [c["number"] for c in dept["cases"]] == [dispatched.number]
    assert client_for(city, "staff_shizheng").get("/console/department/snapshot").json()["cases"] == []


@pytest.mark.parametrize("lang, name", [("zh-hans", "暴露垃圾"), ("en", "Exposed rubbish")])
def test_console_lists_read_as_names_in_the_users_language(city, make_case, lang, name):
    from city.models import Category

    Category.objects.filter(name="暴露垃圾").update(name_en="Exposed rubbish")
    make_case("reported", address="")  # the address comes from the point
    client = client_for(city, "supervisor")
    (case,) = client.get("/console/supervision/snapshot", HTTP_ACCEPT_LANGUAGE=lang).json()["cases"]
    assert case["category_name"] == name and case["category_name_en"] == "Exposed rubbish"
    assert case["place"] == "白银区 人民路街道 金鱼社区 (62040200100101)" and case["cell"] == "62040200100101"
    html = client.get("/console/supervision/", HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    assert f"E0102 {name}</option>" in html  # the category filter


def test_snapshot_hides_resident_phone(city, make_case):
    make_case("reported", reporter_phone="13812341234")
    body = client_for(city, "supervisor").get("/console/supervision/snapshot").content.decode()
    assert "13812341234" not in body and "reporter_phone" not in body


def test_duplicates_are_listed_for_the_case_panel(city, make_case):
    first = make_case("reported")
    second = make_case("reported")
    r = client_for(city, "calltaker").get(f"/console/cases/{second.number}/duplicates").json()
    assert [d["number"] for d in r["duplicates"]] == [first.number]
    assert client_for(city, "staff_shizheng").get(f"/console/cases/{second.number}/duplicates").status_code == 404


@time_machine.travel(T0 + timedelta(hours=1), tick=False)  # the duplicate window counts back from now
def test_intake_creates_a_public_case_and_shows_its_number(city, make_case):
    existing = make_case("reported")
    client = client_for(city, "calltaker")
    assert client.get("/console/intake/").status_code == 200
    r = client.post(
        "/console/intake/",
        {"phone": "138 1234 5678", "name": "李先生", "category": "E0102 暴露垃圾 bllj", "address": "人民路口",
         "lng": LNG, "lat": LAT, "description": "垃圾堆了三天", "urgency": "normal"},
    )  # fmt: skip
    assert r.status_code == 200
    case = Case.objects.exclude(pk=existing.pk).get()
    assert case.source == "call_taker" and case.needs_verification
    assert case.reporter_phone == "+8613812345678" and case.reporter_name == "李先生"  # one form: E.164
    html = r.content.decode()
    assert case.number in html and existing.number in html  # the number to read back, and the duplicate


def test_intake_places_a_typed_address_through_the_gazetteer(city):
    Place.objects.create(name="人民路", kind="road", aliases="人民大道", lng=LNG, lat=LAT)
    client = client_for(city, "calltaker")
    r = client.post(
        "/console/intake/",
        {
            "phone": "13812345678",
            "category": "E0102",
            "address": "人民大道东头",
            "description": "x",
            "urgency": "normal",
        },
    )
    assert r.status_code == 200, r.content
    case = Case.objects.get()
    assert case.cell.code == "62040200100101"
    places = client.get("/console/places", {"q": "rml"}).json()["places"]
    assert [p["name"] for p in places] == ["人民路"] and places[0]["cell"] == "62040200100101"


def test_intake_takes_a_category_by_name_or_initials(city):
    client = client_for(city, "calltaker")
    body = {"phone": "13812345678", "lng": 104.17, "lat": 36.545, "description": "x", "urgency": "normal"}
    for text in ["暴露垃圾", "bllj"]:
        assert client.post("/console/intake/", {**body, "category": text}).status_code == 200
    assert [c.category.full_code for c in Case.objects.all()] == ["E0102", "E0102"]


@pytest.mark.parametrize(
    ("change", "error_field"),
    [
        ({"phone": "call me"}, "phone"),
        ({"category": "X1"}, "category"),
        ({"lng": "", "lat": "", "address": "火星"}, None),
    ],
)
def test_intake_refusals_save_nothing(city, change, error_field):
    client = client_for(city, "calltaker")
    body = {
        "phone": "13812345678",
        "category": "E0102",
        "lng": LNG,
        "lat": LAT,
        "description": "x",
        "urgency": "normal",
    }
    r = client.post("/console/intake/", {**body, **change})
    assert r.status_code == 200
    assert Case.objects.count() == 0
    assert 'class="error"' in r.content.decode() or "errorlist" in r.content.decode()


def test_only_call_takers_use_the_intake_form(city):
    assert client_for(city, "dispatcher").get("/console/intake/").status_code == 403
    assert client_for(city, "dispatcher").get("/console/places", {"q": "x"}).status_code == 403
