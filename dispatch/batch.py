"""批量操作: one action on several rows of a console. Each case still goes through `services.act`
on its own (its own event, its own version check, its own request key): one row refused never
stops the others, and the answer names each row's outcome in words.

What a console may do in bulk, the words of its buttons and the keys of its shortcuts are here
and reach the page through the console's config; the page's script holds none of them.
"""

import json
import re
from dataclasses import replace

from django.utils.translation import gettext as _

from city.roles import roles_of
from citymgmt.errors import Conflict, DomainError, Forbidden, InvalidData
from citymgmt.field_labels import readable

from . import services
from .access import visible_cases
from .labels import client_field
from .models import Case, State
from .workflow import TRANSITIONS, check_params

# The most rows one request may carry: a shift leader's screen, not a bulk import.
BATCH_LIMIT = 50
# Which actions each console offers on selected rows (only those the person's roles may take).
BATCH_ACTIONS = {
    "supervision": ("register", "send_verify", "close"),
    "dispatch": ("dispatch", "urge"),
}
# Fields each row fills from its own case, not from the batch form: the grid's inspector for
# 派核实, the suggested department for 派遣.
PER_ROW = {"send_verify": "inspector", "dispatch": "department"}
# Keyboard shortcuts for actions (the page adds j/k/x/Enter, "/" and "?", which change nothing).
SHORTCUTS = {"r": "register", "d": "dispatch", "u": "urge"}
KEY_RE = re.compile(r"^[\x21-\x7e]{1,100}$")
NUMBER_RE = re.compile(r"^[A-Za-z0-9]{1,32}$")


def batch_actions(user, console: str) -> list[str]:
    """The bulk actions this person may take on this console."""
    roles = roles_of(user)
    return [a for a in BATCH_ACTIONS.get(console, ()) if TRANSITIONS[a].roles & roles]


def _shared_fields(action: str):
    """The fields the batch form asks once for every row (the note)."""
    return tuple(f for f in TRANSITIONS[action].fields if f.name != PER_ROW.get(action))


def client_batch(user, console: str) -> dict:
    """What the page builds its batch bar and shortcuts from (JSON-ready, in the request's language)."""
    actions = batch_actions(user, console)
    hints = {"send_verify": _("派给各案卷所在网格的监督员"), "dispatch": _("派往各案卷的推荐部门")}
    return {
        "limit": BATCH_LIMIT,
        "actions": [
            {
                "action": a,
                "label": str(TRANSITIONS[a].label),
                "hint": str(hints.get(a, "")),
                "fields": [client_field(f) for f in _shared_fields(a)],
            }
            for a in actions
        ],
        "shortcuts": {key: action for key, action in SHORTCUTS.items() if action in actions},
    }


# --------------------------------------------------------------------------- the request


def parse(raw: bytes, user, console: str) -> tuple[str, dict, list[tuple[str, int]], str]:
    """(action, shared params, [(number, version)], key) from the request body, or InvalidData /
    Forbidden for the whole batch: nothing is changed unless every row is well formed."""
    try:
        body = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidData(_("请求须为 JSON 对象。"), fields={"body": "invalid"}) from exc
    if not isinstance(body, dict):
        raise InvalidData(_("请求须为 JSON 对象。"), fields={"body": "invalid"})
    action = body.get("action")
    if not isinstance(action, str) or action not in BATCH_ACTIONS.get(console, ()):
        raise InvalidData(_("此页面不能批量执行该操作。"), fields={"action": "invalid"})
    if action not in batch_actions(user, console):
        raise Forbidden()
    key = body.get("key", "")
    if not isinstance(key, str) or (key and not KEY_RE.match(key)):
        raise InvalidData(_("请求标识须为 1 到 100 个可见字符。"), fields={"key": "invalid"})
    rows = _rows(body.get("cases"))
    params = _shared_params(action, body.get("params"))
    _check_known(user, [number for number, _version in rows])
    return action, params, rows, key


def _rows(cases) -> list[tuple[str, int]]:
    if not isinstance(cases, list) or not cases:
        raise InvalidData(_("请选择至少一件案卷（cases 须为列表）。"), fields={"cases": "invalid"})
    if len(cases) > BATCH_LIMIT:
        raise InvalidData(
            _("一次最多批量处理 %(n)s 件案卷，本次选了 %(m)s 件。") % {"n": BATCH_LIMIT, "m": len(cases)},
            fields={"cases": "too_many"},
        )
    rows = []
    for item in cases:
        number = item.get("number") if isinstance(item, dict) else None
        version = item.get("version") if isinstance(item, dict) else None
        if not isinstance(number, str) or not NUMBER_RE.match(number):
            raise InvalidData(_("案卷号无效：%(n)s") % {"n": str(number)[:40]}, fields={"cases": "invalid_number"})
        if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= 2**31 - 1:
            raise InvalidData(
                _("案卷 %(n)s 的版本号无效：%(v)s") % {"n": number, "v": str(version)[:20]},
                fields={"cases": "invalid_version"},
            )
        rows.append((number, version))
    if len({number for number, _version in rows}) != len(rows):
        raise InvalidData(_("同一案卷不能在一次批量操作中出现两次。"), fields={"cases": "duplicate"})
    return rows


def _shared_params(action: str, raw) -> dict:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict) or any(not isinstance(v, str | int | float | bool) for v in raw.values()):
        raise InvalidData(_("参数须为 JSON 对象。"), fields={"params": "invalid"})
    shared = _shared_fields(action)
    params = {f.name: raw[f.name] for f in shared if f.name in raw}
    if any(isinstance(v, str) and "\x00" in v for v in params.values()):  # PostgreSQL refuses NUL
        message = _("请求中含有不允许的空字符（NUL）：%(field)s") % {"field": "params"}
        raise InvalidData(message, fields={"params": "nul"})
    problems = check_params(replace(TRANSITIONS[action], fields=shared), params)
    if problems:
        raise InvalidData(fields=problems)
    return params


def _check_known(user, numbers: list[str]) -> None:
    """Every case must exist and be one this person may see; unknown ones are named."""
    known = set(visible_cases(user).filter(number__in=numbers).values_list("number", flat=True))
    unknown = [n for n in numbers if n not in known]
    if unknown:
        raise InvalidData(
            _("没有这些案卷：%(numbers)s") % {"numbers": "、".join(unknown[:10])}, fields={"cases": "unknown"}
        )


# --------------------------------------------------------------------------- running it


def run(user, action: str, params: dict, rows: list[tuple[str, int]], key: str = "") -> dict:
    """Each row through `services.act` on its own; refusals are collected per row, in words."""
    results = []
    for number, version in rows:
        try:
            row_params = params | _per_row_params(action, number)
            case = services.act(
                number,
                action,
                user,
                params=row_params,
                expected_version=version,
                request_key=f"batch:{key}:{number}" if key else None,
            )
        except DomainError as exc:
            results.append({"number": number, "ok": False, "code": exc.code, "message": _refusal(exc)})
        else:
            results.append(
                {
                    "number": number,
                    "ok": True,
                    "state": case.state,
                    "state_label": str(State(case.state).label),
                    "version": case.version,
                }
            )
    done = sum(1 for r in results if r["ok"])
    return {"action": action, "done": done, "refused": len(results) - done, "results": results}


def _per_row_params(action: str, number: str) -> dict:
    """What a row's own case fills in: its grid's inspector, its suggested department."""
    if action not in PER_ROW:
        return {}
    case = Case.objects.select_related("suggested_department", "cell").get(number=number)
    if action == "dispatch":
        if case.suggested_department is None:
            raise InvalidData(_("无推荐部门，请在案卷面板中选择部门派遣。"), fields={"department": "no_suggestion"})
        return {"department": case.suggested_department.code}
    inspector = services.cell_inspector(case)
    if inspector is None:
        raise InvalidData(_("该案卷所在网格没有责任监督员，请在案卷面板中指定。"), fields={"inspector": "none"})
    return {"inspector": inspector.username}


def _refusal(exc: DomainError) -> str:
    """A row's refusal as a person reads it: a stale version says what the case is now."""
    if isinstance(exc, Conflict) and "current_version" in exc.context:
        state = exc.context.get("state")
        label = State(state).label if state in State.values else state
        return _("案卷已被他人更新，本次未执行（现状态：%(state)s）。") % {"state": label}
    if exc.code == "invalid" and exc.message == str(InvalidData.default_message) and exc.fields:
        # The generic "data is wrong" alone says nothing: name the fields and their problems.
        return exc.message + " " + "；".join(f"{label}：{problem}" for label, problem in readable(exc.fields))
    return exc.message
