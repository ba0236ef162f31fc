"""Property-based tests of the whole API from its own OpenAPI schema (schemathesis): for generated
requests to every operation, no 5xx, and every response — status, content type, headers, body —
matches what the schema documents."""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS as REGISTRY
from schemathesis.checks import load_all_checks
from schemathesis.config import SchemathesisConfig

from mobile_api.models import ApiToken

load_all_checks()
# Every check schemathesis has (`--checks all`): no 5xx, status codes, content types, headers and
# bodies as documented, invalid data refused, valid data accepted, required headers, unsupported
# methods and their Allow header, ignored auth, use after free, resource availability.
CHECKS = REGISTRY.get_all()
METHODS = {"get", "post", "put", "patch", "delete"}
# Valid by the schema yet refused by a rule the schema cannot state — each a documented 400 naming
# the field: an existing category and a point inside the city, the fields each workflow action needs,
# times within 2000–2099 and reports within REPORT_MAX_AGE_DAYS, not in the future, from ≤ to within
# 400 days, clocking in once before clocking out. For these operations positive data may also get
# that 400; every other check is as is.
BUSINESS_RULES = [
    "GET /api/v1/cases",
    "POST /api/v1/cases",
    "POST /api/v1/cases/{number}/actions/{action}",
    "POST /api/v1/positions",
    "GET /api/v1/evaluation/{table}",
    "POST /api/v1/attendance",  # already on duty / not on duty
    "POST /api/v1/leave",  # ends after it starts, ≤ 30 days, not ended 7 days ago, no overlap
    "GET /api/v1/inspectors/{username}/track",  # a day within 2000–2099
    "GET /api/v1/inspectors/{username}/coverage",
]
ACCEPTED = ["2xx", "3xx", "400", "401", "403", "404", "409", "413", "415", "429"]
CONFIG = SchemathesisConfig.from_dict(
    {
        "operations": [
            {"include-name": name, "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}}}
            for name in BUSINESS_RULES
        ]
    }
)


def operation_labels() -> list[str]:
    """Every operation in the schema, read at collection time so that new endpoints are covered."""
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    return [f"{method.upper()} {path}" for path, ops in paths.items() for method in ops if method in METHODS]


@pytest.fixture
def wsgi_schema(city, make_case, settings):
    settings.ALLOWED_HOSTS = ["*"]  # schemathesis' WSGI client calls itself "localhost"
    # Some cases to find, act on and read (generated numbers mostly miss: 404 is documented).
    make_case("registered")
    make_case("dispatched")
    # As Django's test client does: requests must not close the test's database connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application(), config=CONFIG)
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.parametrize("label", operation_labels())
@pytest.mark.parametrize(
    ("username", "mode"),
    [
        ("supervisor", GenerationMode.POSITIVE),
        ("supervisor", GenerationMode.NEGATIVE),
        ("inspector1", GenerationMode.POSITIVE),
        ("inspector1", GenerationMode.NEGATIVE),
    ],
)
def test_api_matches_its_schema(wsgi_schema, city, label, username, mode):
    """Positive: requests the schema allows. Negative: requests it forbids, which must be refused
    with a documented 4xx, never a 5xx."""
    token = ApiToken.issue(city.user(username))[1]
    (operation,) = [r.ok() for r in wsgi_schema.get_all_operations() if r.ok().label == label]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def check(case):
        case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)

    try:
        check()
    except Unsatisfiable:
        if mode is not GenerationMode.NEGATIVE:
            raise
        pytest.skip(f"{label}: no request can break its schema (no body, no constrained parameter)")
