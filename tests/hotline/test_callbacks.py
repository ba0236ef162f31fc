"""回访 worklist: closed public cases due for a callback, full numbers for call-takers, one answer a
case (the call-taker's or the SMS reply: the same case event), and "not satisfied" opening a
linked new case through the workflow's report."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from dispatch.models import Case, CaseEvent
from evaluation.indicators import department_table
from hotline import callbacks, satisfaction
from hotline.models import CallbackSettings, OutboundMessage
from tests.conftest import T0

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _the_afternoon_after_t0():
    """Cases close at T0 (make_case); the worklist's window counts back from now: fix now."""
    with time_machine.travel(T0 + timedelta(hours=5), tick=False):
        yield


def client_for(city, username):
    client = Client()
    client.force_login(city.user(username))
    return client


def test_the_worklist_lists_closed_public_cases_with_the_full_number(city, make_case):
    closed = make_case("closed", reporter_phone="13812341234")
    make_case("dispatched")  # not closed: not listed
    page = client_for(city, "calltaker").get("/hotline/callbacks/")
    html = page.content.decode()
    assert page.status_code == 200 and closed.number in html and "13812341234" in html
    assert "不满意" in html and "未接通" in html
    assert client_for(city, "dispatcher").get("/hotline/callbacks/").status_code == 403


def test_sampling_follows_the_rate_per_source(city, make_case):
    cases = [make_case("closed") for _ in range(3)]
    assert {c.number for c in callbacks.due()} == {c.number for c in cases}  # call_taker: 100 %
    CallbackSettings.objects.create(rates={"call_taker": 0})
    assert callbacks.due() == []
    assert sum(callbacks.sampled(f"E{n:016d}", 30) for n in range(2000)) in range(500, 700)


def test_not_satisfied_opens_a_linked_case_and_leaves_the_worklist(city, make_case):
    closed = make_case("closed")
    client = client_for(city, "calltaker")
    response = client.post("/hotline/callbacks/", {"case": closed.number, "result": "not_satisfied", "note": "仍有"})
    assert response.status_code == 302
    event = CaseEvent.objects.get(case=closed, action="callback")
    assert event.data["result"] == "not_satisfied" and event.data["reached"] and not event.data["satisfied"]
    new = Case.objects.get(number=event.data["followup"])
    assert closed.number in new.description and new.reporter_phone == closed.reporter_phone
    assert CaseEvent.objects.get(case=new, action="report").actor == city.user("calltaker")
    html = client.get("/hotline/callbacks/").content.decode()
    assert f'href="/cases/{new.number}/"' in html  # the linked case, once
    assert f'data-number="{closed.number}"' not in html
    # Recording twice is refused.
    again = client.post("/hotline/callbacks/", {"case": closed.number, "result": "satisfied"})
    assert again.status_code in (400, 409)
    assert CaseEvent.objects.filter(case=closed, action="callback").count() == 1


def test_an_sms_answer_fills_the_same_record_and_the_satisfaction_rate(city, make_case):
    closed = make_case("closed", source="sms", reporter_phone="13900002222")
    assert OutboundMessage.objects.filter(purpose="closed", case=closed).exists()
    satisfaction.answer("13900002222", True)
    (event,) = CaseEvent.objects.filter(case=closed, action="callback")
    assert (event.data["channel"], event.data["satisfied"], event.actor_role) == ("sms", True, "hotline")
    assert closed.number not in {c.number for c in callbacks.due()}
    other = make_case("closed")
    callbacks.record(other.number, "unreachable", city.user("calltaker"))
    from datetime import datetime, timedelta

    from evaluation.indicators import Period

    start = datetime(2000, 1, 1).astimezone()
    rows = {r["code"]: r for r in department_table(Period(start, start + timedelta(days=365 * 100)))}
    h = rows["huanwei"]
    assert (h["callbacks_reached"], h["callbacks_satisfied"], h["satisfaction_rate"]) == (1, 1, 100.0)
