"""Against a live daphne: the `georeport` client from PyPI (not ours) reads services, a definition,
filtered lists and one request in JSON and XML; plain HTTP posts per the spec (form-encoded,
api_key in the body or the query string) and parses the XML with a real XML parser."""

from xml.etree import ElementTree as ET

import pytest
import requests
from georeport import GeoReport

from dispatch import services
from tests.conftest import LAT, LNG


def _post(live_url, fmt, key, key_in, **extra):
    data = {"service_code": "E0102", "lat": LAT, "long": LNG, "description": "井边垃圾", **extra}
    params = {}
    (data if key_in == "body" else params)["api_key"] = key
    return requests.post(f"{live_url}/open311/v2/requests.{fmt}", data=data, params=params, timeout=10)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_georeport_client_reads_everything(live_url, city, make_case, api_key, fmt):
    closed = make_case("closed")
    filed = _post(live_url, "json", api_key, "body").json()[0]["service_request_id"]
    geo = GeoReport(f"{live_url}/open311/v2", jurisdiction="620402", output_format=fmt)

    services_ = geo.get_service_list()
    assert {s["service_code"] for s in services_} == {"E0102", "C0103"}
    assert {s["service_name"] for s in services_} == {"暴露垃圾", "雨水井盖"}

    definition = geo.get_service_definition("E0102")
    assert definition["service_code"] == "E0102"
    attributes = definition["attributes"]
    attribute = attributes[0] if isinstance(attributes, list) else attributes["attribute"]
    assert attribute["code"] == "urgency" and attribute["datatype"] == "singlevaluelist"

    listed = geo.get_service_requests()
    listed = listed if isinstance(listed, list) else [listed]
    assert {r["service_request_id"] for r in listed} == {filed, closed.number}
    only_closed = geo.get_service_requests(status="closed")
    only_closed = only_closed if isinstance(only_closed, list) else [only_closed]
    assert [r["service_request_id"] for r in only_closed] == [closed.number]
    by_code = geo.get_service_requests(service_code="E0102", status="open")
    by_code = by_code if isinstance(by_code, list) else [by_code]
    assert [r["service_request_id"] for r in by_code] == [filed]

    one = geo.get_service_request(closed.number)
    assert one["service_request_id"] == closed.number and one["status"] == "closed"
    assert one["agency_responsible"] == "环卫"


@pytest.mark.parametrize("key_in", ["body", "query"])
def test_plain_http_post_per_spec(live_url, city, api_key, key_in):
    response = _post(live_url, "xml", api_key, key_in, first_name="Lei", phone="13700001111")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    root = ET.fromstring(response.content)  # noqa: S314 (our own server's answer)
    assert root.tag == "service_requests"
    number = root.find("request/service_request_id").text
    case = services.get_case(number)
    assert (case.source, case.source_label, case.reporter_phone) == ("open311", "12345", "+8613700001111")

    json_answer = _post(live_url, "json", api_key, key_in, description="第二处")
    assert json_answer.headers["Content-Type"] == "application/json; charset=utf-8"
    assert json_answer.json()[0]["service_request_id"] != number

    refused = _post(live_url, "xml", "not-a-key", key_in)
    assert refused.status_code == 403
    assert ET.fromstring(refused.content).find("error/code").text == "403"  # noqa: S314
