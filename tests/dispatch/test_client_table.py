"""The browser gets the workflow's rules from the server: every page that builds action forms or
case lists receives dispatch.workflow's table in its config, and the service checks requests
against the same declarations. The page scripts hold no copy of the rules."""

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from citymgmt.errors import InvalidData
from dispatch import services
from dispatch.board import CONSOLE_STATES
from dispatch.models import State
from dispatch.models.cases import FINAL_STATES
from dispatch.workflow import MAX_POSTPONE_HOURS, TRANSITIONS, Field, Transition, check_params
from tests.conftest import jpeg

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = [
    ROOT / "dispatch/static/dispatch/console.js",
    ROOT / "mobile_api/static/mobile_api/handset.js",
    ROOT / "maps/static/maps/city_map.js",
]
# (who, page, the id of the JSON config the page's script reads)
PAGES = [
    ("supervisor", "/console/supervision/", "console-config"),
    ("dispatcher", "/console/dispatch/", "console-config"),
    ("staff_huanwei", "/console/department/", "console-config"),
    (None, "/m/", "handset-config"),
    ("dispatcher", "/maps/", "map-config"),
]


def config_of(html: str, script_id: str) -> dict:
    return json.loads(html.split(f'<script id="{script_id}" type="application/json">')[1].split("</script>")[0])


def rendered_config(city, username, path, script_id, language="zh-hans") -> dict:
    client = Client()
    if username:
        client.force_login(city.user(username))
    response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, path
    return config_of(response.content.decode(), script_id)


def expected_fields(transition: Transition) -> list[dict]:
    """The table's declarations as plain data, read from dispatch.workflow (not from the function
    that serialises them for the pages)."""
    return [
        {
            "name": f.name,
            "kind": f.kind,
            "label": str(f.label),
            "required": f.required,
            "choices": [[value, str(label)] for value, label in f.choices],
            "min": f.min,
            "max": f.max,
            "default": f.default,
            "role": f.role,
            "unit": f.unit,
        }
        for f in transition.fields
    ]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(("username", "path", "script_id"), PAGES)
def test_each_page_receives_the_workflow_table(city, username, path, script_id, language):
    table = rendered_config(city, username, path, script_id, language)["workflow"]
    with translation.override(language):
        assert sorted(table["transitions"]) == sorted(TRANSITIONS)
        for action, transition in TRANSITIONS.items():
            sent = table["transitions"][action]
            assert sent["fields"] == expected_fields(transition), action
            assert sent["photos"] == transition.photos and sent["max_photos"] == transition.max_photos
            assert sent["label"] == str(transition.label)
            assert set(sent["roles"]) == set(transition.roles)
            assert set(sent["sources"]) == {s for s in transition.sources if s is not None}
    assert {k: set(v) for k, v in table["console_states"].items()} == {k: set(v) for k, v in CONSOLE_STATES.items()}
    assert set(table["final_states"]) == set(FINAL_STATES)
    assert table["time_zone"] == settings.TIME_ZONE
    # A postponement is asked in the case's stage unit: the pages get the units' words.
    assert table["transitions"]["request_postpone"]["fields"][0]["unit"] == "stage"
    assert set(table["units"]) == {"minutes", "work_hours", "work_days"}


def test_labels_arrive_in_the_pages_language(city):
    zh = rendered_config(city, "staff_huanwei", "/console/department/", "console-config")["workflow"]
    en = rendered_config(city, "staff_huanwei", "/console/department/", "console-config", "en")["workflow"]
    assert zh["transitions"]["return"]["fields"][0]["label"] == "理由"
    assert en["transitions"]["return"]["fields"][0]["label"] == "Reason"
    assert en["transitions"]["check"]["fields"][0]["choices"] == [["passed", "Passed"], ["failed", "Failed"]]
    assert en["words"]["photos_required"] == "This action needs at least one photo."
    titles = [s["title"] for s in en["console_sections"]["department"]]
    assert titles == [
        "Leaders' instructions to acknowledge",
        "Supervision orders to answer",
        "To handle",
        "Handled, awaiting check / suspended",
    ]
    assert en["flags"]["urged"] == "Urged"


def test_the_lists_of_each_console_cover_exactly_its_states(city):
    table = rendered_config(city, "dispatcher", "/console/dispatch/", "console-config")["workflow"]
    for console, sections in table["console_sections"].items():
        assert {s for section in sections for s in section["states"]} == set(CONSOLE_STATES[console])


def test_a_field_added_to_the_table_reaches_every_page_and_the_service(city, make_case, monkeypatch):
    witness = Field("witness", "text", "目击者", required=True, max=40)
    old = TRANSITIONS["return"]
    monkeypatch.setitem(TRANSITIONS, "return", replace(old, fields=(*old.fields, witness)))
    for username, path, script_id in PAGES:
        fields = rendered_config(city, username, path, script_id)["workflow"]["transitions"]["return"]["fields"]
        assert fields[-1] == {
            "name": "witness", "kind": "text", "label": "目击者", "required": True, "choices": [],
            "min": None, "max": 40, "default": None, "role": None, "unit": None,
        }, path  # fmt: skip
    case = make_case("dispatched")
    with pytest.raises(InvalidData) as refused:
        services.act(case.number, "return", city.user("staff_huanwei"), params={"reason": "不属于本部门"})
    assert refused.value.fields == {"witness": "required"}
    services.act(case.number, "return", city.user("staff_huanwei"), params={"reason": "x", "witness": "王师傅"})


# ------------------------------------------------------------------ the service checks the same table


def test_check_params_reads_the_declarations():
    postpone = TRANSITIONS["request_postpone"]
    params = {"hours": "8", "reason": "材料未到"}
    assert check_params(postpone, params) == {} and params["hours"] == 8
    assert check_params(postpone, {"hours": MAX_POSTPONE_HOURS + 1, "reason": "x"}) == {"hours": "out_of_range"}
    assert check_params(postpone, {"hours": "soon", "reason": " "}) == {"hours": "invalid", "reason": "required"}
    decide = {"approve": "false"}
    assert check_params(TRANSITIONS["decide_postpone"], decide) == {} and decide["approve"] is False
    assert check_params(TRANSITIONS["decide_postpone"], {"approve": "perhaps"}) == {"approve": "invalid"}
    assert check_params(TRANSITIONS["check"], {"result": "exists"}) == {"result": "invalid"}
    assert check_params(TRANSITIONS["reject"], {"reason": "x" * 501}) == {"reason": "too_long"}
    assert check_params(TRANSITIONS["handle"], {"note": "已处置"}) == {"photos": "required"}
    assert check_params(TRANSITIONS["handle"], {"note": "已处置"}, 7) == {"photos": "too_many"}
    assert check_params(TRANSITIONS["return"], {"reason": "x"}, 1) == {"photos": "not_accepted"}
    assert check_params(TRANSITIONS["classify"], {"category": "C0103", "lng": 200}) == {"lng": "out_of_range"}


def test_the_postponement_cap_is_the_tables(city, make_case):
    case = make_case("dispatched")
    staff = city.user("staff_huanwei")
    with pytest.raises(InvalidData) as refused:
        services.act(case.number, "request_postpone", staff, params={"hours": 721, "reason": "x"})
    assert refused.value.fields == {"hours": "out_of_range"} and "720" in refused.value.message
    case = services.act(case.number, "request_postpone", staff, params={"hours": "720", "reason": "x"})
    assert case.pending_hours == 720


def test_photos_on_an_action_that_takes_none_are_refused(city, make_case):
    case = make_case("dispatched")
    with pytest.raises(InvalidData) as refused:
        services.act(case.number, "return", city.user("staff_huanwei"), params={"reason": "x"}, photo_files=[jpeg()])
    assert refused.value.fields == {"photos": "not_accepted"}
    case.refresh_from_db()
    assert case.state == State.DISPATCHED and case.photos.count() == 0


def test_the_api_takes_every_field_the_table_declares():
    from mobile_api.serializers import ActionSerializer

    fields = ActionSerializer().fields
    for transition in TRANSITIONS.values():
        for f in transition.fields:
            assert f.name in fields, f.name
    assert fields["hours"].max_value == MAX_POSTPONE_HOURS and fields["hours"].min_value == 1
    assert fields["reason"].max_length == 500 and not fields["reason"].allow_blank
    assert fields["note"].allow_blank


# ------------------------------------------------------------------ the scripts hold no copy


def _script_without_kinds(path: Path) -> str:
    """The script with its vocabulary of field kinds taken out (`kind === "department"`, `case
    "category":`): a script knows how to draw a kind of input, not which fields exist."""
    text = path.read_text(encoding="utf-8")
    text = re.sub(r'kind === "\w+"', "", text)
    return re.sub(r'case "\w+":', "", text)


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_scripts_name_no_state_no_action_field_and_no_time_zone(path):
    text = _script_without_kinds(path)
    field_names = {f.name for t in TRANSITIONS.values() for f in t.fields}
    choice_values = {str(v) for t in TRANSITIONS.values() for f in t.fields for v in f.values if isinstance(v, str)}
    for word in sorted(set(State.values) | field_names | choice_values):
        for quote in "\"'`":
            assert f"{quote}{word}{quote}" not in text, f"{path.name} names {word!r}"
        assert f"[name={word}]" not in text, f"{path.name} looks up the field {word!r}"
    assert "+08:00" not in text and "Asia/Shanghai" not in text
    assert not re.search(r"\b720\b", text)  # the postponement cap
