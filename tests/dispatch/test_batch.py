"""批量操作: POST /console/<name>/batch runs each case through the workflow on its own; a malformed
batch is refused whole (400, in words) and changes nothing; refusals are reported per row."""

import json

import pytest
from django.test import Client

from citymgmt.errors import InvalidData
from dispatch import batch, services
from dispatch.models import Case, CaseEvent


def client_for(city, username):
    client = Client()
    client.force_login(city.user(username))
    return client


def post(client, console, body, raw=False):
    data = body if raw else json.dumps(body)
    return client.post(f"/console/{console}/batch", data, content_type="application/json")


def rows(*cases):
    return [{"number": c.number, "version": c.version} for c in cases]


def log_size():
    return CaseEvent.objects.count()


def test_batch_register_does_each_case_and_names_each_refusal(city, make_case):
    cases = [make_case("reported", source="inspector", actor=city.user("inspector1")) for _ in range(5)]
    # Meanwhile someone else registered the third one: its version moved on.
    services.act(cases[2].number, "register", city.user("supervisor"), params={})
    r = post(client_for(city, "supervisor"), "supervision", {"action": "register", "cases": rows(*cases)})
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["done"], body["refused"]) == (4, 1)
    by_number = {x["number"]: x for x in body["results"]}
    refused = by_number[cases[2].number]
    assert refused["ok"] is False and "已被他人更新" in refused["message"] and "已立案" in refused["message"]
    for c in cases[:2] + cases[3:]:
        assert by_number[c.number] == by_number[c.number] | {"ok": True, "state": "registered", "state_label": "已立案"}
        # Each case its own event, written by the person who asked.
        (event,) = CaseEvent.objects.filter(case=c, action="register")
        assert event.actor == city.user("supervisor")
    assert [x["number"] for x in body["results"]] == [c.number for c in cases]  # in the order asked


def test_a_refusal_in_the_cases_state_is_said_in_words(city, make_case):
    public = make_case("reported")  # a resident's report, not verified: registering needs a note
    r = post(client_for(city, "supervisor"), "supervision", {"action": "register", "cases": rows(public)})
    (row,) = r.json()["results"]
    assert row["ok"] is False and "核实" in row["message"]
    assert Case.objects.get(pk=public.pk).state == "reported"
    # With the note (asked once for the whole batch) it goes through.
    r = post(
        client_for(city, "supervisor"), "supervision",
        {"action": "register", "params": {"note": "电话确认属实"}, "cases": rows(public)},
    )  # fmt: skip
    assert r.json()["done"] == 1


def test_batch_dispatch_sends_each_case_to_its_suggested_department(city, make_case):
    rubbish = make_case("registered")
    other = make_case("registered")
    Case.objects.filter(pk=other.pk).update(suggested_department=city.departments["shizheng"])
    other.refresh_from_db()
    r = post(client_for(city, "dispatcher"), "dispatch", {"action": "dispatch", "cases": rows(rubbish, other)})
    assert r.json()["done"] == 2
    assert Case.objects.get(pk=rubbish.pk).department.code == "huanwei"
    assert Case.objects.get(pk=other.pk).department.code == "shizheng"


def test_batch_dispatch_without_a_suggestion_refuses_that_row(city, make_case):
    case = make_case("registered")
    Case.objects.filter(pk=case.pk).update(suggested_department=None)
    (row,) = post(client_for(city, "dispatcher"), "dispatch", {"action": "dispatch", "cases": rows(case)}).json()[
        "results"
    ]
    assert row["ok"] is False and "推荐部门" in row["message"]


def test_batch_send_verify_goes_to_each_cells_inspector(city, make_case):
    case = make_case("reported")
    r = post(client_for(city, "calltaker"), "supervision", {"action": "send_verify", "cases": rows(case)})
    assert r.json()["done"] == 1
    case.refresh_from_db()
    assert case.state == "verifying" and case.assigned_inspector.username == "inspector1"


def test_batch_urge_needs_its_note_before_anything_changes(city, make_case):
    cases = [make_case("dispatched"), make_case("dispatched")]
    before = log_size()
    r = post(client_for(city, "dispatcher"), "dispatch", {"action": "urge", "cases": rows(*cases)})
    assert r.status_code == 400 and r.json()["error"]["fields"] == {"note": "required"}
    assert log_size() == before
    body = {"action": "urge", "params": {"note": "今天内处置"}, "cases": rows(*cases)}
    r = post(client_for(city, "dispatcher"), "dispatch", body)
    assert r.json()["done"] == 2
    assert [c.urge_count for c in Case.objects.filter(pk__in=[c.pk for c in cases])] == [1, 1]


def test_batch_close_of_checked_cases(city, make_case):
    checked, dispatched = make_case("checked"), make_case("dispatched")
    r = post(client_for(city, "supervisor"), "supervision", {"action": "close", "cases": rows(checked, dispatched)})
    results = {x["number"]: x for x in r.json()["results"]}
    assert results[checked.number]["state"] == "closed"
    assert results[dispatched.number]["ok"] is False and "处置中" in results[dispatched.number]["message"]


@pytest.mark.parametrize(
    ("username", "console", "action", "status"),
    [
        ("calltaker", "supervision", "register", 403),  # call-takers may not register
        ("leader", "supervision", "register", 403),  # leaders look on
        ("leader", "dispatch", "urge", 403),
        ("staff_huanwei", "dispatch", "dispatch", 403),  # may not open the console at all
        ("inspector1", "supervision", "register", 403),
        ("dispatcher", "supervision", "register", 403),
        ("supervisor", "dispatch", "dispatch", 403),  # a supervisor opens the dispatch console, may not dispatch
        ("supervisor", "dispatch", "register", 400),  # not a bulk action of this console
        ("supervisor", "department", "register", 403),
        ("supervisor", "nowhere", "register", 404),
    ],
)
def test_roles_and_consoles_are_checked_before_anything_changes(city, make_case, username, console, action, status):
    case = make_case("reported", source="inspector", actor=city.user("inspector1"))
    before = log_size()
    r = post(client_for(city, username), console, {"action": action, "params": {"note": "x"}, "cases": rows(case)})
    assert r.status_code == status
    assert log_size() == before and Case.objects.get(pk=case.pk).state == "reported"


def test_only_post_and_only_signed_in(city):
    assert client_for(city, "supervisor").get("/console/supervision/batch").status_code == 405
    assert Client().post("/console/supervision/batch", "{}", content_type="application/json").status_code == 302


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ("not json", "body", "JSON"),
        ("[1, 2]", "body", "JSON"),
        ({"action": "register", "cases": "E010220261124"}, "cases", "列表"),
        ({"action": "register", "cases": {"number": "x"}}, "cases", "列表"),
        ({"action": "register", "cases": []}, "cases", "至少一件"),
        ({"action": "register"}, "cases", "至少一件"),
        ({"action": "register", "cases": [{"number": "E0102202611240999", "version": 1}]}, "cases", "没有这些案卷"),
        ({"action": "register", "cases": [{"number": "E01/../x", "version": 1}]}, "cases", "案卷号无效"),
        ({"action": "register", "cases": ["REAL"]}, "cases", "案卷号无效"),
        ({"action": "register", "cases": [{"number": "REAL", "version": "2"}]}, "cases", "版本号无效"),
        ({"action": "register", "cases": [{"number": "REAL", "version": 0}]}, "cases", "版本号无效"),
        ({"action": "register", "cases": [{"number": "REAL", "version": True}]}, "cases", "版本号无效"),
        ({"action": "register", "cases": [{"number": "REAL", "version": 1.5}]}, "cases", "版本号无效"),
        ({"action": "register", "cases": [{"number": "REAL", "version": 2**40}]}, "cases", "版本号无效"),
        ({"action": "register", "cases": [{"number": "REAL"}]}, "cases", "版本号无效"),
        ({"action": "register", "cases": "TWICE"}, "cases", "两次"),
        ({"action": "register", "cases": "TOO_MANY"}, "cases", "最多"),
        ({"action": "fly", "cases": "REAL"}, "action", "不能批量"),
        ({"action": ["register"], "cases": "REAL"}, "action", "不能批量"),
        ({"action": "report", "cases": "REAL"}, "action", "不能批量"),
        ({"action": "register", "params": [1], "cases": "REAL"}, "params", "JSON"),
        ({"action": "register", "params": {"note": {"a": 1}}, "cases": "REAL"}, "params", "JSON"),
        ({"action": "register", "params": {"note": "a\x00b"}, "cases": "REAL"}, "params", "NUL"),
        ({"action": "register", "params": {"note": "长" * 2001}, "cases": "REAL"}, "note", "有误"),
        ({"action": "register", "key": "has space", "cases": "REAL"}, "key", "请求标识"),
    ],
)
def test_bad_input_is_refused_whole_in_words_and_changes_nothing(city, make_case, body, field, words):
    case = make_case("reported", source="inspector", actor=city.user("inspector1"))
    real = {"number": case.number, "version": case.version}
    if isinstance(body, dict):
        body = dict(body)
        cases = body.get("cases")
        if cases == "REAL":
            body["cases"] = [real]
        elif cases == "TWICE":
            body["cases"] = [real, real]
        elif cases == "TOO_MANY":
            body["cases"] = [real] * (batch.BATCH_LIMIT + 1)
        elif isinstance(cases, list):
            body["cases"] = [
                ({**x, "number": case.number} if isinstance(x, dict) and x.get("number") == "REAL" else x)
                for x in cases
            ]
            body["cases"] = [case.number if x == "REAL" else x for x in body["cases"]]
    before = log_size()
    r = post(client_for(city, "supervisor"), "supervision", body, raw=isinstance(body, str))
    assert r.status_code == 400, r.content
    error = r.json()["error"]
    assert field in error["fields"] and words in error["message"], error
    assert log_size() == before and Case.objects.get(pk=case.pk).state == "reported"


def test_a_case_outside_what_the_person_may_see_is_unknown(city, make_case):
    """Department staff see only their department's cases: to them others do not exist."""
    from dispatch.access import visible_cases

    mine, theirs = make_case("dispatched"), make_case("dispatched")
    Case.objects.filter(pk=theirs.pk).update(department=city.departments["shizheng"])
    staff = city.user("staff_huanwei")
    assert set(visible_cases(staff).values_list("number", flat=True)) == {mine.number}
    with pytest.raises(InvalidData, match=f"没有这些案卷：{theirs.number}$"):
        batch._check_known(staff, [mine.number, theirs.number])


def test_a_resent_batch_changes_nothing_twice(city, make_case):
    """The batch's key, with each case's number, is the row's idempotency key: the same request
    again (a lost answer, a double click) reports each row done and writes no second event."""
    cases = [make_case("dispatched"), make_case("dispatched")]
    body = {"action": "urge", "params": {"note": "快"}, "key": "k-123", "cases": rows(*cases)}
    first = post(client_for(city, "dispatcher"), "dispatch", body).json()
    again = post(client_for(city, "dispatcher"), "dispatch", body).json()
    assert first["done"] == again["done"] == 2
    assert CaseEvent.objects.filter(action="urge").count() == 2
    # The same key by someone else, or for another action, is a conflict on that row.
    other = post(client_for(city, "supervisor"), "dispatch", body).json()
    assert other["done"] == 0 and all("请求标识" in x["message"] for x in other["results"])


def test_the_console_config_offers_only_what_the_role_may_do(city):
    def config(username, console):
        html = client_for(city, username).get(f"/console/{console}/").content.decode()
        start = html.index('id="console-config"')
        return json.loads(html[html.index(">", start) + 1 : html.index("</script>", start)])

    supervisor = config("supervisor", "supervision")["batch"]
    assert [a["action"] for a in supervisor["actions"]] == ["register", "send_verify", "close"]
    assert supervisor["actions"][0]["label"] == "立案" and supervisor["shortcuts"] == {"r": "register"}
    assert [a["action"] for a in config("calltaker", "supervision")["batch"]["actions"]] == ["send_verify"]
    dispatcher = config("dispatcher", "dispatch")["batch"]
    assert dispatcher["shortcuts"] == {"d": "dispatch", "u": "urge"}
    assert [f["name"] for f in dispatcher["actions"][0]["fields"]] == ["note"]  # the department comes per row
    assert config("leader", "dispatch")["batch"]["actions"] == []
    assert config("supervisor", "dispatch")["batch"]["shortcuts"] == {"u": "urge"}


def test_refusals_and_the_bar_read_in_english(city, make_case):
    import re

    cjk = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
    cases = [make_case("reported", source="inspector", actor=city.user("inspector1")) for _ in range(2)]
    services.act(cases[0].number, "register", city.user("supervisor"), params={})
    client = client_for(city, "supervisor")
    body = json.dumps({"action": "register", "cases": rows(*cases)})
    r = client.post("/console/supervision/batch", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    refused, done = r.json()["results"]
    assert "someone else" in refused["message"] and "Registered" in refused["message"]
    assert not cjk.search(refused["message"]) and done["state_label"] == "Registered"
    r = client.post("/console/supervision/batch", "[]", content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 400 and not cjk.search(r.json()["error"]["message"])
    html = client.get("/console/supervision/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    start = html.index('id="console-config"')
    config = json.loads(html[html.index(">", start) + 1 : html.index("</script>", start)])
    words = [a["label"] + a["hint"] for a in config["batch"]["actions"]]
    words += [config["strings"][k] for k in ("selected", "batch_summary", "key_next", "key_targets", "shortcuts")]
    assert not [w for w in words if cjk.search(w)], words
