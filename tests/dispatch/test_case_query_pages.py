"""综合查询 at scale (issue 14): the free text routed by what was typed, keyset pages (`after=` /
`before=` cursors instead of OFFSET) and a capped count. The figures at 1,000,000 cases are in
`bench/case_query.py`; these tests pin the behaviour that makes them possible."""

import re
from datetime import timedelta
from html import unescape

import pytest
import time_machine
from django.test import Client

from dispatch import search
from dispatch.search import TextKind, kind_of
from tests.conftest import T0

pytestmark = pytest.mark.django_db


def client_for(city, username):
    client = Client()
    client.force_login(city.user(username))
    return client


def listed(response) -> list[str]:
    assert response.status_code == 200, response.content[:300]
    return re.findall(r'href="/cases/([EC]\d{16})/"', response.content.decode())


def link(response, rel) -> str | None:
    found = re.search(rf'<a href="([^"]*)" rel="{rel}">', response.content.decode())
    return unescape(found.group(1)) if found else None


@pytest.mark.parametrize(
    ("text", "phone_allowed", "kind"),
    [
        ("", True, TextKind.NONE),
        ("E0102202603310333334", False, TextKind.FULL_NUMBER),
        ("e0102202603310333334", False, TextKind.FULL_NUMBER),
        ("0333334", False, TextKind.PART_NUMBER),
        ("13912345678", True, TextKind.PART_NUMBER),  # also the phone, for those who may search it
        ("139 1234 5678", True, TextKind.PHONE),
        ("+86 139-1234-5678", True, TextKind.PHONE),
        ("139 1234 5678", False, TextKind.WORDS),  # a masked-number role does not search phones
        ("人民路", True, TextKind.WORDS),
        ("路灯 不亮", True, TextKind.WORDS),
        ("12号", True, TextKind.WORDS),
    ],
)
def test_the_free_text_is_routed_by_what_was_typed(text, phone_allowed, kind):
    assert kind_of(text, phone_allowed) == kind


@pytest.fixture
def routed(city, make_case):
    with time_machine.travel(T0, tick=False):
        by_phone = make_case("reported", description="井盖松动", reporter_phone="13912345678")
        # Digits in the words: found by words, never by a number or phone search.
        worded = make_case("reported", address="兰州路 4321 号", description="回电 139 1234 5678 王先生")
    return by_phone, worded


def test_digits_search_case_numbers_and_phones_not_words(city, routed):
    by_phone, worded = routed
    client = client_for(city, "calltaker")
    assert listed(client.get("/cases/", {"q": "4321"})) == []  # part of no number: not the address's 4321
    assert listed(client.get("/cases/", {"q": by_phone.number[-6:]})) == [by_phone.number]
    assert listed(client.get("/cases/", {"q": "139 1234 5678"})) == [by_phone.number]  # the phone, not the note
    assert listed(client.get("/cases/", {"q": "13912345678"})) == [by_phone.number]
    assert listed(client.get("/cases/", {"q": "兰州路 4321"})) == [worded.number]
    # A role that sees masked numbers typing a spaced phone searches words, as it always did.
    assert listed(client_for(city, "dispatcher").get("/cases/", {"q": "139 1234 5678"})) == [worded.number]


@pytest.fixture
def seven(city, make_case, monkeypatch):
    """Seven cases reported at the same instant (so the order's ties are broken by id), pages of 3."""
    monkeypatch.setattr(search, "PAGE_SIZE", 3)
    with time_machine.travel(T0, tick=False):
        made = [make_case("reported", address=f"兰州路 {i} 号") for i in range(7)]
    return [c.number for c in made]


def walk(client, params):
    """Every page from the first, following the "next" links; (numbers per page, responses)."""
    pages, responses = [], []
    r = client.get("/cases/", params)
    while True:
        pages.append(listed(r))
        responses.append(r)
        after = link(r, "next")
        if not after:
            return pages, responses
        r = client.get(f"/cases/{after}")


@pytest.mark.parametrize("sort", ["", "-reported_at", "reported_at", "number", "-number", "place"])
def test_next_links_walk_every_case_once_in_order(city, seven, sort):
    client = client_for(city, "dispatcher")
    pages, responses = walk(client, {"sort": sort} if sort else {})
    assert [len(p) for p in pages] == [3, 3, 1]
    assert all("after=" in link(r, "next") for r in responses[:-1])  # a cursor, not an OFFSET
    everything = [n for p in pages for n in p]
    assert sorted(everything) == sorted(seven)
    if sort in ("", "-reported_at", "-number"):
        assert everything == sorted(seven, reverse=True)  # ties (one instant) newest first, by id
    elif sort in ("reported_at", "number"):
        assert everything == sorted(seven)


def test_previous_links_come_back_to_the_same_pages(city, seven):
    client = client_for(city, "dispatcher")
    pages, responses = walk(client, {"sort": "-reported_at"})
    back = link(responses[2], "prev")
    assert "before=" in back and "page=2" in back
    assert listed(client.get(f"/cases/{back}")) == pages[1]
    first = link(responses[1], "prev")
    assert "before=" not in first and "after=" not in first  # page 1 is the plain query
    assert listed(client.get(f"/cases/{first}")) == pages[0]


def test_a_case_filed_while_paging_does_not_shift_the_next_page(city, seven, make_case):
    client = client_for(city, "dispatcher")
    first = client.get("/cases/")
    assert listed(first) == sorted(seven, reverse=True)[:3]
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        make_case("reported")  # newest: with OFFSET, page 2 would repeat the third case
    assert listed(client.get(f"/cases/{link(first, 'next')}")) == sorted(seven, reverse=True)[3:6]


def test_sorts_on_columns_that_may_be_empty_page_by_number(city, seven):
    client = client_for(city, "dispatcher")
    r = client.get("/cases/", {"sort": "-due_at"})
    nxt = link(r, "next")
    assert "page=2" in nxt and "after=" not in nxt
    assert len(listed(client.get(f"/cases/{nxt}"))) == 3


@pytest.mark.parametrize(
    "params",
    [
        {"after": "not a cursor"},
        {"after": "%%%"},
        {"before": "W10"},  # base64 of "[]"
        {"after": "WyIiLCJ4IiwtMV0"},  # ["", "x", -1]: no such id
        {"after": "WyIiLG51bGwsOTk5OTk5OTk5OTk5OTk5OTk5OTk5XQ"},  # an id past any integer column
        {"sort": "-number", "after": "WyIiLG51bGwsMV0"},  # a cursor made for another order
        {"sort": "-reported_at", "after": "WyItcmVwb3J0ZWRfYXQiLCJ5ZXN0ZXJkYXkiLDFd"},  # not a time
        {"sort": "-reported_at", "after": "WyItcmVwb3J0ZWRfYXQiLCIyMDI2LTAxLTAxVDAwOjAwOjAwIiwxXQ"},  # no zone
        {"sort": "-due_at", "after": "WyItZHVlX2F0IiwiMjAyNi0wMS0wMVQwMDowMDowMCswMDowMCIsMV0"},
    ],
)
def test_a_bad_cursor_is_a_clear_400_never_a_500(city, seven, params):
    r = client_for(city, "dispatcher").get("/cases/", params, HTTP_ACCEPT="text/html")
    assert r.status_code == 400
    assert "翻页链接已失效" in r.content.decode()


def test_the_count_stops_at_its_cap_and_says_so(city, seven, monkeypatch):
    client = client_for(city, "dispatcher")
    assert "7 件" in client.get("/cases/").content.decode()
    monkeypatch.setattr(search, "COUNT_CAP", 5)
    html = client.get("/cases/").content.decode()
    assert "超过 5 件" in html and "7 件" not in html


@pytest.mark.parametrize(
    ("text", "index"),
    [
        ("兰州路", "case_address_upper_trgm"),
        ("井盖松动", "case_description_upper_trgm"),
        ("异响", "case_words_bigrams"),  # two characters: no trigram, the character-pair index
        ("0333334", "case_number_trgm"),
    ],
)
def test_on_postgresql_each_kind_of_text_can_use_its_index(city, routed, text, index):
    """The index expressions (migration dispatch.case_query_indexes) must be exactly what the query
    writes, or PostgreSQL scans a million rows: with scans forbidden, the plan must name the index."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.http import QueryDict

    if connection.vendor != "postgresql":
        pytest.skip("index kinds exist on PostgreSQL only")
    user = get_user_model().objects.get(username="calltaker")
    found = search.search(user, QueryDict(f"q={text}"))
    sql, params = found.values_list("pk", flat=True)[:26].query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("SET LOCAL enable_indexscan = off")  # not the primary key's ordered scan either
        cur.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cur.fetchall())
    assert index in plan, plan
