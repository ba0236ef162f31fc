"""Names the pages' scripts show for states, sources and actions, in the request's language."""

from django.utils.translation import gettext as _

from .models import Source, State
from .workflow import TRANSITIONS


def js_labels() -> dict:
    """Names the page's JavaScript shows, in the request's language."""
    return {
        "states": {s.value: str(s.label) for s in State},
        "sources": {s.value: str(s.label) for s in Source},
        "actions": {a: str(t.label) for a, t in TRANSITIONS.items()}
        | {"evidence": str(_("补充材料")), "warn": str(_("警示灯变化"))},
    }
