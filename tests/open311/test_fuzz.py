"""Any input to the Open311 endpoints gets an answer below 500, in the format asked for."""

import json
from xml.etree import ElementTree as ET

import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import T0

FIELDS = [
    "service_code", "lat", "long", "address_string", "description", "media_url", "attribute[urgency]", "phone",
    "first_name", "email", "device_id", "jurisdiction_id", "start_date", "end_date", "status", "page", "page_size",
    "bbox", "updated_after", "updated_before", "service_request_id", "extensions", "address_id",
]  # fmt: skip
PATHS = ["discovery", "services", "services/E0102", "service/{t}", "requests", "requests/{t}", "tokens/{t}",
         "servicerequestupdates", "{t}"]  # fmt: skip
values = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["E0102", "C0103", "open", "closed", "-1", "0", "1e309", "nan", "2026-11-24T09:00:00+14:00",
                     "9999-12-31T23:59:59Z", "0001-01-01T00:00:00-12:00", "1,2,3,4", "<b>x</b>", "\x00", "true"]),
)  # fmt: skip
params = st.dictionaries(st.sampled_from(FIELDS), values, max_size=6)
settings_ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _check(response, fmt):
    assert response.status_code < 500, response.content[:300]
    if response.status_code in (200, 400, 403, 404, 429):
        if fmt == "json":
            json.loads(response.content)
        else:
            ET.fromstring(response.content)  # noqa: S314 (our own answer)


@settings_
@given(
    path=st.sampled_from(PATHS),
    token=st.text(
        alphabet=st.characters(blacklist_characters="/?#%", blacklist_categories=["Cs"]), min_size=1, max_size=20
    ),
    fmt=st.sampled_from(["json", "xml"]),
    query=params,
)
def test_get_never_5xx(client, city, path, token, fmt, query):
    with time_machine.travel(T0, tick=False):
        _check(client.get(f"/open311/v2/{path.format(t=token)}.{fmt}", query), fmt)


@settings_
@given(fmt=st.sampled_from(["json", "xml"]), body=params, key_in_body=st.booleans())
def test_post_never_5xx(client, api_key, fmt, body, key_in_body):
    url = f"/open311/v2/requests.{fmt}"
    body = {"service_code": "E0102", "lat": "36.545", "long": "104.17", **body}
    if key_in_body:
        body["api_key"] = api_key
    else:
        url += f"?api_key={api_key}"
    with time_machine.travel(T0, tick=False):
        _check(client.post(url, body), fmt)
