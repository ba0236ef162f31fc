"""Queries per handset report and per workflow action: a ceiling that fails if they grow.

Measured with the grid index, calendar and reference table already warm (as in a running process).
Lower the ceilings when the write path gets cheaper; never raise them without a reason.
"""

from django.db import connection
from rest_framework.test import APIClient

from city import grid
from dispatch.models import Case
from tests.conftest import LAT, LNG, jpeg
from tests.mobile_api.test_cases_api import REPORT, report

# A report (issue 17 point 6: 21 and 22 before): the token, roles, the idempotency key, the
# category by its code (a code a client sends is read from the database) with, in the same query,
# whether the cell the grid index gave still exists; then in its transaction (savepoint, release)
# the number, the case, the duplicate check and its link, the event and its audience; then the
# answer reads the cell's inspector. Community, street, time limits and departments come from memory
# (the grid index, city.reference); the answer's photos and timeline are the rows just written. A
# photo adds one INSERT (all photos together) and no thumbnail: the worker makes it.
REPORT_JSON = 13
REPORT_WITH_PHOTO = 14
# An action through the API (19 before): the token (and its last-used time, once a minute), roles;
# the locked case with everything its summary reads, its UPDATE, the event and audience; the answer
# reads photos, timeline and the cell's inspector. act() returns the case it wrote (no re-read).
ACTION_REGISTER = 12
# The dispatch console's action (a session, not a token): session, user, roles, the department by
# its code, then as above.
CONSOLE_DISPATCH = 13
# On PostgreSQL each event also takes the advisory lock that keeps event ids in commit order.
PER_EVENT_ON_POSTGRES = 1


def test_queries_per_report_and_per_action_do_not_grow(api, city, django_assert_max_num_queries):
    extra = PER_EVENT_ON_POSTGRES if connection.vendor == "postgresql" else 0
    client = api("inspector1")
    assert report(client, key="warm-up").status_code == 201  # the grid index, reference table, calendar load once

    with django_assert_max_num_queries(REPORT_JSON + extra):
        assert report(client, key="json").status_code == 201
    with django_assert_max_num_queries(REPORT_WITH_PHOTO + extra):
        r = report(client, {**REPORT, "photos": [jpeg()]}, key="photo", fmt="multipart")
        assert r.status_code == 201
    supervisor = api("supervisor")
    with django_assert_max_num_queries(ACTION_REGISTER + extra):
        response = supervisor.post(f"/api/v1/cases/{r.json()['number']}/actions/register", {}, format="json")
        assert response.status_code == 200, response.content


def test_queries_per_console_dispatch_do_not_grow(api, city, make_case, django_assert_max_num_queries):
    extra = PER_EVENT_ON_POSTGRES if connection.vendor == "postgresql" else 0
    console = APIClient()  # the console's fetch(): session cookie, as console.js sends it
    console.force_login(city.user("dispatcher"))
    warm, case = make_case("registered"), make_case("registered")
    body = {"department": "huanwei"}
    assert console.post(f"/api/v1/cases/{warm.number}/actions/dispatch", body, format="json").status_code == 200

    with django_assert_max_num_queries(CONSOLE_DISPATCH + extra):
        response = console.post(f"/api/v1/cases/{case.number}/actions/dispatch", body, format="json")
        assert response.status_code == 200, response.content


def test_a_cell_another_process_deleted_is_not_written(api, city):
    """The cell comes from this process's grid index, checked in the category's query: if another
    process deleted it, the index is rebuilt and the point located again."""
    client = api("inspector1")
    assert grid.locate(LNG, LAT).cell_code == "62040200100101"  # this process's index has the cell
    cell_id = city.cells[0].pk
    with connection.cursor() as cursor:  # another process's delete: no signal reaches this one
        cursor.execute("DELETE FROM city_responsibilitygrid_cells WHERE gridcell_id = %s", [cell_id])
        cursor.execute("DELETE FROM city_gridcell WHERE id = %s", [cell_id])

    r = report(client, key="first")
    assert r.status_code == 201, r.content
    assert r.json()["cell"] is None  # the point is outside every cell now
    assert Case.objects.get().cell_id is None
