"""Real concurrency on PostgreSQL: two threads at once on one case, and on one idempotency key."""

import threading

import pytest
from django.db import connection, connections

from citymgmt.errors import DomainError
from dispatch import services
from dispatch.models import Case, CaseEvent
from tests.conftest import LAT, LNG

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks under real concurrency need PostgreSQL (set DATABASE_URL); SQLite serialises writers")


def run_together(*functions):
    barrier = threading.Barrier(len(functions))
    results = [None] * len(functions)

    def runner(i, fn):
        try:
            barrier.wait()
            results[i] = ("ok", fn())
        except Exception as exc:
            results[i] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i, fn)) for i, fn in enumerate(functions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_two_dispatchers_at_once_exactly_one_wins(city, make_case):
    case = make_case("registered")
    dispatcher = city.user("dispatcher")
    results = run_together(
        lambda: services.act(case.number, "dispatch", dispatcher, params={"department": "huanwei"}),
        lambda: services.act(case.number, "dispatch", dispatcher, params={"department": "shizheng"}),
    )
    outcomes = sorted(r[0] for r in results)
    assert outcomes == ["error", "ok"], results
    error = next(r[1] for r in results if r[0] == "error")
    assert isinstance(error, DomainError) and error.status == 409
    assert CaseEvent.objects.filter(case=case, action="dispatch").count() == 1


def test_two_concurrent_reports_with_one_key_create_one_case(city):
    inspector = city.user("inspector1")

    def report():
        case, created = services.report_case(
            actor=inspector, source="inspector", category="E0102", lng=LNG, lat=LAT,
            client_key="same-key", fingerprint="f",
        )  # fmt: skip
        return case.pk, created

    results = run_together(report, report, report, report)
    assert all(r[0] == "ok" for r in results), results
    assert len({r[1][0] for r in results}) == 1
    assert sorted(r[1][1] for r in results) == [False, False, False, True]
    assert Case.objects.filter(client_key="same-key").count() == 1
    assert CaseEvent.objects.filter(action="report").count() == 1


def test_two_workers_escalating_at_once_write_each_step_once(city, make_case):
    """Two worker passes at the same moment, on real connections: one 催办, then one 督办."""
    from datetime import datetime

    from dispatch.management.commands.run_worker import scan_once
    from tests.conftest import SHANGHAI, T0

    cases = [make_case("dispatched", now=T0) for _ in range(3)]  # due Tue 15:30
    red = datetime(2026, 11, 24, 15, 31, tzinfo=SHANGHAI)
    results = run_together(lambda: scan_once(red), lambda: scan_once(red), lambda: scan_once(red))
    assert all(r[0] == "ok" for r in results), results
    escalated = datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)  # red 4 working hours later
    results = run_together(lambda: scan_once(escalated), lambda: scan_once(escalated))
    assert all(r[0] == "ok" for r in results), results
    for case in cases:
        assert CaseEvent.objects.filter(case=case, action="urge", actor_role="system").count() == 1
        assert CaseEvent.objects.filter(case=case, action="supervise", actor_role="system").count() == 1
        assert CaseEvent.objects.filter(case=case, action="warn").count() == 1


@pytest.mark.postgres
def test_parallel_password_guesses_get_no_more_than_the_limit(city, monkeypatch):
    """Issue 13 point 1: 30 wrong guesses at once against the API: at most the limit reach the
    password check (the check and the count are one step), then the right password waits out the
    cool-off."""
    from django.conf import settings
    from django.contrib.auth.base_user import AbstractBaseUser
    from rest_framework.test import APIClient

    checked = []
    real_check = AbstractBaseUser.check_password

    def counting_check(self, raw):
        checked.append(raw)
        return real_check(self, raw)

    monkeypatch.setattr(AbstractBaseUser, "check_password", counting_check)

    def guess():
        r = APIClient().post(
            "/api/v1/auth/token", {"username": "inspector1", "password": "guess"}, format="json",
            REMOTE_ADDR="10.7.7.7",
        )  # fmt: skip
        return r.status_code

    results = run_together(*[guess] * 30)
    assert all(r[0] == "ok" for r in results), results
    codes = sorted(r[1] for r in results)
    assert len(checked) <= settings.AXES_FAILURE_LIMIT, len(checked)
    assert codes.count(401) <= settings.AXES_FAILURE_LIMIT and set(codes) <= {401, 429}, codes
    r = APIClient().post(
        "/api/v1/auth/token", {"username": "inspector1", "password": "pw-12319-test"}, format="json",
        REMOTE_ADDR="10.7.7.7",
    )  # fmt: skip
    assert r.status_code == 429
