"""The demo city: what it builds, and that a second run changes nothing."""

import itertools

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command

from city import grid
from city.models import Category, Department, GridCell, Place, ResponsibilityGrid, Street


def snapshot():
    """Every row of every reference-data and auth table, as values."""
    out = {}
    for model in [*apps.get_app_config("city").get_models(), get_user_model()]:
        out[model._meta.label] = sorted(map(repr, model.objects.values_list()))
    return out


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("seed_demo", "--password", "pw-demo-12319", "--cases", "80")
        yield
        # Module-scoped data lives outside the per-test transactions: clean up after ourselves.
        call_command("flush", "--noinput")


@pytest.mark.django_db
def test_demo_city_content(seeded):
    assert GridCell.objects.count() >= 2000
    assert list(Street.objects.values_list("name", flat=True)) == [
        "人民路街道", "公园路街道", "四龙路街道", "工农路街道", "纺织路街道",
    ]  # fmt: skip
    assert all(
        code.startswith("620402") and len(code) == 14 for code in GridCell.objects.values_list("code", flat=True)
    )
    assert Department.objects.count() == 12
    assert Category.objects.filter(kind="component").count() >= 60
    assert Category.objects.filter(kind="event").count() >= 50
    assert Place.objects.count() >= 20
    assert ResponsibilityGrid.objects.filter(inspectors__isnull=False).distinct().count() == 25
    User = get_user_model()
    names = set(User.objects.values_list("username", flat=True))
    expected = {f"inspector{i:02d}" for i in range(1, 21)} | {"calltaker01", "supervisor01", "dispatcher01"}
    expected |= {"leader01", "admin", "dept-huanwei-01", "dept-paishui-01"}
    assert expected <= names
    assert User.objects.get(username="dispatcher01").check_password("pw-demo-12319")
    assert User.objects.get(username="admin").is_superuser
    # Every gazetteer place lies in the demo grid.
    for place in Place.objects.all():
        assert grid.locate(place.lng, place.lat) is not None, place.name


@pytest.mark.django_db
def test_seed_again_changes_nothing(seeded):
    before = snapshot()
    call_command("seed_demo", "--password", "a-different-password")
    assert snapshot() == before


@pytest.mark.django_db
def test_demo_history_is_made_by_the_workflow(seeded):
    from dispatch.models import Case, CaseEvent

    cases = list(Case.objects.all())
    assert len(cases) == 80
    states = {c.state for c in cases}
    assert {"reported", "registered", "dispatched", "closed", "rejected"} <= states, states
    assert "checked" not in states  # a passed check is closed (待结案 would pile up and turn red)
    spread = [c.reported_at for c in cases]
    assert (max(spread) - min(spread)).days >= 30  # spread over the last 90 days
    for case in cases:
        transitions = CaseEvent.objects.filter(case=case).exclude(kind="case.warning").order_by("id")
        chain = list(transitions.values_list("from_state", "to_state"))
        assert chain[0] == ("", "reported")
        # Each event starts where the previous one ended, and the last one left the case as it is.
        assert all(prev[1] == nxt[0] for prev, nxt in itertools.pairwise(chain)), case.number
        assert chain[-1][1] == case.state, case.number


@pytest.mark.django_db
def test_the_histories_lights_turned_red_when_they_were_due_not_on_seeding_day(seeded):
    from dispatch.demo import HISTORY_SCAN_STEP
    from dispatch.models import CaseEvent

    reds = list(CaseEvent.objects.filter(action="warn", data__light="red").select_related("case"))
    assert len(reds) >= 5
    for event in reds:  # the seed acts first, then replays the worker: each case is still in that stage
        assert event.case.due_at <= event.created_at < event.case.due_at + HISTORY_SCAN_STEP, event.case.number
    assert len({e.created_at.date() for e in reds}) >= 5  # over many days, not all today


@pytest.mark.django_db
def test_seed_cases_again_creates_nothing(seeded):
    from dispatch.demo import seed_cases
    from dispatch.models import Case, CaseEvent

    before = (Case.objects.count(), CaseEvent.objects.count())
    assert seed_cases(80) == 0
    assert (Case.objects.count(), CaseEvent.objects.count()) == before


@pytest.mark.django_db
def test_the_gazetteer_has_hundreds_of_places_over_every_street(seeded):
    from city.demo.places import demo_places

    assert Place.objects.count() >= 300
    streets = {}
    for place in Place.objects.all():
        cell = grid.locate(place.lng, place.lat)
        streets[cell.street_name] = streets.get(cell.street_name, 0) + 1
    assert set(streets) == set(Street.objects.values_list("name", flat=True))
    assert min(streets.values()) >= 50, streets
    assert {"school", "market", "hospital", "park", "square", "compound", "road"} <= set(
        Place.objects.values_list("kind", flat=True)
    )
    # A place named after a community lies in that community.
    for name, _kind, _aliases, _x, _y, community in demo_places():
        place = Place.objects.get(name=name)
        if community and name not in {"水川路小区", "银山小区", "银光广场"}:  # hand-placed in seed.GAZETTEER
            assert grid.locate(place.lng, place.lat).community_name == community, name


@pytest.mark.django_db
def test_intake_by_a_seeded_place_name_locates_the_case_in_its_cell(seeded, client):
    from dispatch.models import Case

    client.force_login(get_user_model().objects.get(username="calltaker01"))
    place = Place.objects.get(name="诚信小学")
    r = client.post(
        "/console/intake/",
        {"category": "E0102", "description": "校门口有暴露垃圾", "address": "诚信小学", "urgency": "normal",
         "name": "张先生", "phone": "13800000000"},
    )  # fmt: skip
    assert r.status_code == 200
    case = Case.objects.get(description="校门口有暴露垃圾")
    assert case.cell.code == grid.locate(place.lng, place.lat).cell_code
    assert case.cell.community.name == "诚信社区" and case.cell.community.street.name == "四龙路街道"
    assert case.address == "诚信小学"
