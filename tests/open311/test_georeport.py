"""GeoReport v2 in-process: POST per spec, every error in both formats, jurisdiction_id, the
lifecycle of a filed request, and residents' data never in an answer."""

import json
from xml.etree import ElementTree as ET

import pytest
import time_machine
from django.core.management import call_command

from dispatch import services
from dispatch.models import Case
from tests.conftest import LAT, LNG, T0

BASE = "/open311/v2"
NAME_FIRST, NAME_LAST, PHONE, EMAIL = "秀英", "王", "13912345678", "wang@example.com"


def xml(response):
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    return ET.fromstring(response.content)  # noqa: S314 (our own answer)


def jsn(response):
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content)


def post(client, fmt="json", key_in="body", key="", **fields):
    data = {"service_code": "E0102", "lat": str(LAT), "long": str(LNG), "description": "路边垃圾堆积", **fields}
    url = f"{BASE}/requests.{fmt}"
    if key_in == "body":
        data["api_key"] = key
    else:
        url += f"?api_key={key}"
    return client.post(url, data)  # form-encoded


@pytest.fixture
def now():
    with time_machine.travel(T0, tick=False):
        yield T0


# --------------------------------------------------------------------------- POST


def test_post_form_encoded_with_key_in_body_answers_json(client, api_key, now):
    response = post(client, "json", "body", api_key, first_name=NAME_FIRST, last_name=NAME_LAST, phone=PHONE)
    assert response.status_code == 200
    body = jsn(response)
    assert isinstance(body, list) and len(body) == 1
    number = body[0]["service_request_id"]
    assert number in body[0]["service_notice"]
    case = Case.objects.get(number=number)
    assert (case.source, case.source_label) == ("open311", "12345")
    assert case.reporter_name == "王 秀英" and case.reporter_phone == "+86" + PHONE  # one form: E.164
    assert case.events.get().data["source_label"] == "12345"


def test_post_with_key_in_query_answers_xml_parsed_by_an_xml_parser(client, api_key, now):
    response = post(client, "xml", "query", api_key, **{"attribute[urgency]": "urgent"})
    assert response.status_code == 200
    root = xml(response)
    assert root.tag == "service_requests"
    (request,) = root.findall("request")
    number = request.findtext("service_request_id")
    assert Case.objects.get(number=number).urgency == "urgent"
    assert number in request.findtext("service_notice")


def test_post_by_address_string_goes_through_the_gazetteer(client, api_key, now):
    from city.models import Place

    Place.objects.create(name="人民路", kind="road", lng=LNG, lat=LAT)
    response = post(client, "json", "body", api_key, lat="", long="", address_string="人民路口")
    assert response.status_code == 200, response.content
    case = Case.objects.get(number=jsn(response)[0]["service_request_id"])
    assert (case.lng, case.lat, case.address) == (LNG, LAT, "人民路口")
    assert case.cell is not None


def test_a_repeated_device_and_body_within_ten_minutes_files_once(client, api_key):
    with time_machine.travel(T0, tick=False):
        first = jsn(post(client, key=api_key, device_id="dev-1"))[0]["service_request_id"]
        again = jsn(post(client, key=api_key, device_id="dev-1"))[0]["service_request_id"]
        other = jsn(post(client, key=api_key, device_id="dev-1", description="另一处"))[0]["service_request_id"]
    with time_machine.travel(T0.replace(minute=11), tick=False):
        later = jsn(post(client, key=api_key, device_id="dev-1"))[0]["service_request_id"]
    assert first == again
    assert len({first, other, later}) == 3


def test_rate_limit_per_client(client, api_key, now, own_cache):
    from open311.models import ApiClient

    ApiClient.objects.update(rate_limit_per_minute=2)
    codes = [post(client, key=api_key).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    response = post(client, "xml", key=api_key)
    assert response.status_code == 429 and xml(response).find("error/code").text == "429"


def test_create_api_client_prints_the_key_on_its_last_line(client, city, capsys, now):
    call_command("create_api_client", "市12345平台", "--source", "12345")
    key = capsys.readouterr().out.strip().splitlines()[-1]
    from open311.models import ApiClient

    stored = ApiClient.objects.get(name="市12345平台")
    assert key not in (stored.key_hash, stored.key_prefix) and stored.key_hash != ""
    assert post(client, key=key).status_code == 200


# --------------------------------------------------------------------------- errors, both formats

ERRORS = [
    ("post", {"api_key": ""}, 403),
    ("post", {"api_key": "wrong"}, 403),
    ("post", {"service_code": "E9999"}, 400),
    ("post", {"service_code": ""}, 400),
    ("post", {"lat": "", "long": ""}, 400),
    ("post", {"lat": "abc"}, 400),
    ("post", {"lat": "95"}, 400),
    ("post", {"lat": "", "long": "", "address_string": "不存在的地方"}, 400),
    ("post", {"lat": "", "long": "", "address_id": "17"}, 400),
    ("post", {"description": "<b>垃圾</b>"}, 400),
    ("post", {"description": "很" * 4001}, 400),
    ("post", {"attribute[urgency]": "panic"}, 400),
    ("post", {"media_url": "ftp://example.com/x.jpg"}, 400),
    ("post", {"phone": "call me"}, 400),
    ("post", {"jurisdiction_id": "nowhere"}, 404),
    ("get", "services/E9999", 404),
    ("get", "service/E9999", 404),
    ("get", "requests/E0000000000000000", 404),
    ("get", "tokens/nope", 404),
    ("get", "requests?start_date=yesterday", 400),
    ("get", "requests?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", 400),
    ("get", "requests?start_date=2026-06-01T00:00:00Z&end_date=2026-01-01T00:00:00Z", 400),
    ("get", "requests?status=pending", 400),
    ("get", "requests?bbox=1,2,3", 400),
    ("get", "requests?page_size=501", 400),
    ("get", "requests?page=0", 400),
    ("get", "requests?api_key=wrong", 403),
    ("get", "services?jurisdiction_id=nowhere", 404),
    ("get", "nothing-here", 404),
]


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(("method", "what", "status"), ERRORS)
def test_every_error_in_both_formats(client, api_key, now, fmt, method, what, status):
    if method == "post":
        fields = {"api_key": api_key, **what}
        response = post(client, fmt, "body", **{"key": fields.pop("api_key")}, **fields)
    else:
        path, _, query = what.partition("?")
        response = client.get(f"{BASE}/{path}.{fmt}" + (f"?{query}" if query else ""))
    assert response.status_code == status, response.content
    if fmt == "json":
        errors = jsn(response)
        assert isinstance(errors, list) and errors[0]["code"] == status and errors[0]["description"]
    else:
        root = xml(response)
        assert root.tag == "errors"
        assert root.find("error/code").text == str(status) and root.find("error/description").text
    assert not Case.objects.exists()


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("path", ["discovery", "services", "services/E0102", "service/E0102", "requests"])
def test_jurisdiction_id_empty_and_absent_are_the_same_and_an_unknown_one_is_404(client, city, fmt, path):
    absent = client.get(f"{BASE}/{path}.{fmt}")
    empty = client.get(f"{BASE}/{path}.{fmt}?jurisdiction_id=")
    ours = client.get(f"{BASE}/{path}.{fmt}?jurisdiction_id=620402")
    unknown = client.get(f"{BASE}/{path}.{fmt}?jurisdiction_id=999999")
    assert absent.status_code == empty.status_code == ours.status_code == 200
    assert absent.content == empty.content == ours.content
    assert unknown.status_code == 404


# --------------------------------------------------------------------------- reading


def test_services_and_definition(client, city):
    services_ = jsn(client.get(f"{BASE}/services.json"))
    by_code = {s["service_code"]: s for s in services_}
    assert set(by_code) == {"E0102", "C0103"}
    rubbish = by_code["E0102"]
    assert rubbish["service_name"] == "暴露垃圾" and rubbish["group"] == "市容环境"
    assert rubbish["type"] == "realtime" and rubbish["metadata"] is True
    assert "bllj" in rubbish["keywords"] and "暴露垃圾" in rubbish["keywords"]
    root = xml(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services" and len(root.findall("service")) == 2
    definition = xml(client.get(f"{BASE}/service/C0103.xml"))
    assert definition.tag == "service_definition" and definition.findtext("service_code") == "C0103"
    attribute = definition.find("attributes/attribute")
    assert attribute.findtext("code") == "urgency" and attribute.findtext("datatype") == "singlevaluelist"
    assert [v.findtext("key") for v in attribute.findall("values/value")] == ["normal", "urgent"]
    english = jsn(client.get(f"{BASE}/services/E0102.json", HTTP_ACCEPT_LANGUAGE="en"))
    assert english["attributes"][0]["values"][1]["name"] == "Urgent"


def test_discovery(client, city):
    root = xml(client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    assert root.find("endpoints/endpoint/url").text.endswith("/open311/v2/")
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == ["text/xml", "application/json"]
    assert "bbox" in jsn(client.get(f"{BASE}/discovery.json"))["extensions"]


def test_list_filters_and_extensions(client, api_key, make_case, now):
    filed = jsn(post(client, key=api_key))[0]["service_request_id"]
    closed = make_case("closed")
    other = make_case("reported", category=services._resolve_category("C0103"), lng=LNG + 0.5)
    listed = lambda q="": [r["service_request_id"] for r in jsn(client.get(f"{BASE}/requests.json{q}"))]  # noqa: E731
    assert set(listed()) == {filed, closed.number, other.number}
    assert listed("?status=closed") == [closed.number]
    assert set(listed("?status=open")) == {filed, other.number}
    assert listed("?service_code=C0103") == [other.number]
    assert set(listed(f"?service_request_id={filed},{closed.number}&status=open")) == {filed, closed.number}
    assert set(listed(f"?bbox={LNG - 0.01},{LAT - 0.01},{LNG + 0.01},{LAT + 0.01}")) == {filed, closed.number}
    assert listed("?start_date=2026-01-01T00:00:00Z&end_date=2026-02-01T00:00:00Z") == []
    assert len(listed("?page=1&page_size=2")) == 2 and len(listed("?page=2&page_size=2")) == 1
    assert listed("?updated_after=2026-11-24T10:00:00%2B08:00") == []
    record = jsn(client.get(f"{BASE}/requests/{closed.number}.json?extensions=true"))[0]
    ext = record["extended_attributes"]
    assert ext["state"] == "closed" and ext["grid_cell"] == closed.cell.code
    assert record["requested_datetime"] == "2026-11-24T09:00:00+08:00"
    token = jsn(client.get(f"{BASE}/tokens/{filed}.json"))
    assert token == [{"service_request_id": filed, "token": filed}]


# --------------------------------------------------------------------------- the workflow


def test_a_filed_request_follows_the_workflow_to_closed(client, api_key, city):
    from tests.conftest import jpeg

    def read(number):
        return jsn(client.get(f"{BASE}/requests/{number}.json"))[0]

    with time_machine.travel(T0, tick=False):
        number = jsn(post(client, key=api_key))[0]["service_request_id"]
        record = read(number)
        assert record["status"] == "open" and record["status_notes"] == "待受理"
        assert record["agency_responsible"] == "" and record["expected_datetime"] == "2026-11-24T09:30:00+08:00"
        services.act(number, "send_verify", city.user("calltaker"), params={"inspector": "inspector1"})
        services.act(number, "verify", city.user("inspector1"), params={"result": "exists"})
    with time_machine.travel(T0.replace(minute=10), tick=False):
        services.act(number, "register", city.user("supervisor"))
        record = read(number)
        assert record["status_notes"] == "已立案" and record["updated_datetime"] == "2026-11-24T09:10:00+08:00"
    with time_machine.travel(T0.replace(minute=20), tick=False):
        services.act(number, "dispatch", city.user("dispatcher"), params={"department": "huanwei"})
        record = read(number)
        assert record["agency_responsible"] == "环卫" and record["status_notes"] == "处置中（环卫）"
        assert record["expected_datetime"] == "2026-11-24T15:50:00+08:00"  # 4 working hours, lunch 12:00–14:30 excluded
    with time_machine.travel(T0.replace(hour=11), tick=False):
        services.act(number, "handle", city.user("staff_huanwei"), params={"note": "已清理"}, photo_files=[jpeg()])
        assert read(number)["status"] == "open"
    with time_machine.travel(T0.replace(hour=11, minute=30), tick=False):
        services.act(number, "check", city.user("inspector1"), params={"result": "passed"})
        assert read(number)["status"] == "open"  # 待结案: the shift leader closes it
        services.act(number, "close", city.user("supervisor"))
        record = read(number)
    assert record["status"] == "closed" and record["status_notes"] == "已结案"
    assert record["agency_responsible"] == "环卫" and record["expected_datetime"] is None
    assert record["updated_datetime"] == "2026-11-24T11:30:00+08:00"
    english = jsn(client.get(f"{BASE}/requests/{number}.json", HTTP_ACCEPT_LANGUAGE="en"))[0]
    assert english["status_notes"] == "Closed"
    with time_machine.travel(T0.replace(hour=12), tick=False):
        steps = jsn(client.get(f"{BASE}/servicerequestupdates.json?start_date=2026-11-24T00:00:00%2B08:00"))
    assert [s["description"].split()[0] for s in steps] == ["已受理", "已立案", "已派遣", "已处置", "已结案"]
    assert steps[-1]["status"] == "closed"


def _strings(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif value is not None:
        yield str(value)


def test_residents_names_and_phones_never_appear_in_any_answer(client, api_key, city):
    with time_machine.travel(T0, tick=False):
        number = jsn(
            post(
                client, key=api_key, first_name=NAME_FIRST, last_name=NAME_LAST, phone=PHONE, email=EMAIL,
                description=f"垃圾很多，请打 {PHONE} 联系王秀英",
                device_id="d1", account_id="a1",
            )
        )[0]["service_request_id"]  # fmt: skip
        services.act(number, "reject", city.user("calltaker"), params={"reason": f"不属实，已电话 {PHONE} 告知"})
        answers = []
        for fmt in ("json", "xml"):
            for path in (
                "requests", f"requests/{number}", "servicerequestupdates", f"tokens/{number}",
            ):  # fmt: skip
                for query in ("", "?extensions=true"):
                    answers.append(client.get(f"{BASE}/{path}.{fmt}{query}"))
    assert all(a.status_code == 200 for a in answers)
    seen = []
    for a in answers:
        seen += list(_strings(jsn(a))) if a["Content-Type"].startswith("application/json") else list(xml(a).itertext())
    joined = "\n".join(seen)
    assert number in joined and "不予立案" in joined
    for secret in (PHONE, PHONE[-8:], NAME_FIRST, "王秀英", EMAIL, "王 秀英"):
        assert secret not in joined, secret
        for a in answers:
            assert secret.encode() not in a.content


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_nul_anywhere_is_a_400_not_a_database_error(client, api_key, fmt):
    assert client.get(f"/open311/v2/requests.{fmt}?service_request_id=E1%00").status_code == 400
    assert client.get(f"/open311/v2/requests/E1%00.{fmt}").status_code == 400
    assert post(client, fmt, key=api_key, device_id="a\x00").status_code == 400


def test_the_client_source_label_shows_and_filters_in_the_query_console(client, api_key, make_case, city, now):
    number = jsn(post(client, key=api_key))[0]["service_request_id"]
    other = make_case("reported")
    client.force_login(city.user("supervisor"))
    page = client.get("/cases/?source_label=12345").content.decode()
    assert number in page and other.number not in page
    assert "Open311 12345" in page


def test_admin_shows_a_new_key_once_and_keeps_only_its_hash(client, city):
    from django.contrib.auth import get_user_model

    from open311.models import ApiClient, hash_key

    client.force_login(get_user_model().objects.create_superuser("root", password="pw"))
    response = client.post(
        "/admin/open311/apiclient/add/",
        {"name": "随手拍", "source_label": "web", "can_post": "on", "can_read": "on", "rate_limit_per_minute": 30,
         "active": "on", "callback_url": "", "callback_secret": ""},
        follow=True,
    )  # fmt: skip
    shown = [str(m) for m in response.context["messages"] if "API" in str(m)]
    assert len(shown) == 1
    key = shown[0].rsplit("：", 1)[-1]
    stored = ApiClient.objects.get(name="随手拍")
    assert stored.key_hash == hash_key(key) and key not in stored.key_prefix + stored.key_hash
    again = client.get(f"/admin/open311/apiclient/{stored.pk}/change/").content.decode()
    assert key not in again


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_allowed_operations_per_client(client, api_key, now, fmt):
    from open311.models import ApiClient

    ApiClient.objects.update(can_post=False, can_read=False)
    assert post(client, fmt, key=api_key).status_code == 403
    assert client.get(f"{BASE}/requests.{fmt}?api_key={api_key}").status_code == 403
    assert client.get(f"{BASE}/requests.{fmt}").status_code == 200  # reading needs no key
    ApiClient.objects.update(active=False, can_post=True)
    assert post(client, fmt, key=api_key).status_code == 403


def test_a_list_costs_the_same_queries_for_many_requests(client, api_key, now, django_assert_max_num_queries):
    from tests.conftest import jpeg

    for i in range(8):
        response = client.post(f"{BASE}/requests.json", {
            "api_key": api_key, "service_code": "E0102", "lat": str(LAT), "long": str(LNG),
            "description": f"第 {i} 处", "media": jpeg(),
        })  # fmt: skip
        assert response.status_code == 200
    with django_assert_max_num_queries(6):
        records = jsn(client.get(f"{BASE}/requests.json"))
    assert len(records) == 8 and all(r["media_url"].startswith("http://testserver/media/cases/") for r in records)


def test_a_phone_that_is_not_a_valid_number_is_refused_clearly_and_nothing_is_filed(client, api_key, now):
    for bad in ("12345", "+86 123", "138123456789"):
        response = post(client, "json", "body", api_key, phone=bad)
        assert response.status_code == 400
        (error,) = jsn(response)
        assert "phone" in error["description"] and "有效的电话号码" in error["description"]
    assert Case.objects.count() == 0
    body = {"api_key": api_key, "service_code": "E0102", "lat": str(LAT), "long": str(LNG), "description": "x"}
    english = client.post(f"{BASE}/requests.json", {**body, "phone": "12345"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "not a valid phone number" in jsn(english)[0]["description"]
    assert post(client, "json", "body", api_key, phone="0086 139-1234-5678").status_code == 200
    assert Case.objects.get().reporter_phone == "+8613912345678"
