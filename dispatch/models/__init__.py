"""Cases and their append-only event log."""

from .cases import PUBLIC_SOURCES, Case, CaseNumberSequence, Light, Source, State, Urgency
from .duplicates import PossibleDuplicate
from .events import CaseEvent, CaseEventAudience
from .photos import CasePhoto
from .settings import WorkflowSettings

__all__ = [
    "PUBLIC_SOURCES",
    "Case",
    "CaseEvent",
    "CaseEventAudience",
    "CaseNumberSequence",
    "CasePhoto",
    "Light",
    "PossibleDuplicate",
    "Source",
    "State",
    "Urgency",
    "WorkflowSettings",
]
