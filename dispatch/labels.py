"""What the pages' scripts receive from the server: names of states, sources and actions, and the
workflow's rules (each action's fields and photos, the states each console lists, the final
states, the city's time zone), all in the request's language. The scripts hold none of these."""

from django.conf import settings
from django.utils.translation import gettext as _

from city.models import TimeLimit

from .board import CONSOLE_SECTIONS, CONSOLE_STATES
from .models import Source, State
from .models.cases import FINAL_STATES
from .workflow import TRANSITIONS, Field, Transition


def js_labels() -> dict:
    """Names the page's JavaScript shows, in the request's language."""
    return {
        "states": {s.value: str(s.label) for s in State},
        "sources": {s.value: str(s.label) for s in Source},
        "actions": {a: str(t.label) for a, t in TRANSITIONS.items()}
        | {
            "evidence": str(_("补充材料")),
            "warn": str(_("警示灯变化")),
            "supervision_overdue": str(_("督办逾期未回复")),
            "callback": str(_("回访")),
        },
    }


def client_field(f: Field) -> dict:
    return {
        "name": f.name,
        "kind": f.kind,
        "label": str(f.label),
        "required": f.required,
        "choices": [[value, str(label)] for value, label in f.choices],
        "min": f.min,
        "max": f.max,
        "default": f.default,
        "role": str(f.role) if f.role else None,
        "unit": f.unit,
    }


def client_transition(t: Transition) -> dict:
    return {
        "label": str(t.label),
        "sources": sorted(str(s) for s in t.sources if s is not None),
        "roles": sorted(str(r) for r in t.roles),
        "fields": [client_field(f) for f in t.fields],
        "photos": t.photos,
        "max_photos": t.max_photos,
    }


def client_table() -> dict:
    """The workflow as the pages build their forms and lists from it (JSON-ready)."""
    return {
        "transitions": {action: client_transition(t) for action, t in TRANSITIONS.items()},
        "console_states": {name: [str(s) for s in states] for name, states in CONSOLE_STATES.items()},
        "console_sections": {
            name: [
                {"id": key, "title": str(title), "states": [str(s) for s in rule["states"]]}
                | {k: v for k, v in rule.items() if k != "states"}
                for key, title, rule in sections
            ]
            for name, sections in CONSOLE_SECTIONS.items()
        },
        "flags": {
            "instructed": _("领导批示"),
            "supervision_overdue": _("督办逾期"),
            "supervised": _("督办中"),
            "urged": _("已催办"),
        },
        "final_states": sorted(str(s) for s in FINAL_STATES),
        # The words of the stage units a field with unit "stage" is counted in (the case says which).
        "units": {u.value: str(u.label) for u in TimeLimit.Unit},
        "time_zone": settings.TIME_ZONE,
        "words": {
            "photos": _("照片"),
            "required": _("必填"),
            "photos_required": _("此操作须上传照片。"),
            "too_many_photos": _("最多上传 {n} 张照片。"),  # {n}: filled in by the script
            "missing": _("请填写："),
        },
    }
