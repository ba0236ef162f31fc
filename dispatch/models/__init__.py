"""Cases and their append-only event log."""

from .cases import Case, CaseNumberSequence, Light, Source, State, Urgency
from .duplicates import PossibleDuplicate
from .evaluation import EvaluationSettings, PublishedReport
from .events import CaseEvent, CaseEventAudience
from .photos import CasePhoto

__all__ = [
    "Case",
    "CaseEvent",
    "CaseEventAudience",
    "CaseNumberSequence",
    "CasePhoto",
    "EvaluationSettings",
    "Light",
    "PossibleDuplicate",
    "PublishedReport",
    "Source",
    "State",
    "Urgency",
]
