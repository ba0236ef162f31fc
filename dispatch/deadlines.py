"""Stage clocks: due times and warning lights (红黄绿灯) in the city's working or natural time.

A case's current stage has a limit (TimeLimit for its category, stage and urgency). On entering
the stage we precompute `due_at` and `yellow_at` (the moment 80 % of the limit is used), so the
light at any moment is a comparison, and the worker finds changes with indexed range scans.
"""

from datetime import datetime, timedelta

from city import calendar, reference
from city.models import TimeLimit

from .models.cases import Light
from .models.settings import WorkflowSettings

# The yellow share (80 %) and the limits used when a category has none for a stage are
# WorkflowSettings an admin edits.


def limit_for(category_id: int, stage: str, urgency: str) -> tuple[int, str]:
    """The category's limit for the stage (the reference table in memory, no query), else the
    workflow settings' fallback."""
    return reference.time_limit(category_id, stage, urgency) or WorkflowSettings.current().fallback_limit(stage)


def is_natural(unit: str) -> bool:
    return unit == TimeLimit.Unit.MINUTES


def advance(start: datetime, seconds: float, unit: str) -> datetime:
    """`seconds` of the unit's kind of time after `start`."""
    if is_natural(unit):
        return start + timedelta(seconds=seconds)
    return calendar.add_working_duration(start, timedelta(seconds=seconds))


def remaining(now: datetime, due: datetime, unit: str) -> float:
    """Seconds of the unit's kind of time from now until due (negative when overdue)."""
    if is_natural(unit):
        return (due - now).total_seconds()
    if due >= now:
        return calendar.working_time_between(now, due).total_seconds()
    return -calendar.working_time_between(due, now).total_seconds()


def light_at(case, now: datetime) -> str:
    if case.due_at is None:
        return Light.NONE
    if now >= case.due_at:
        return Light.RED
    if case.yellow_at is not None and now >= case.yellow_at:
        return Light.YELLOW
    return Light.GREEN


def start_stage(case, stage: str | None, now: datetime) -> None:
    """Start the clock of `stage` (None: no clock in this state)."""
    case.paused_remaining_s = None
    if stage is None:
        case.stage_started_at = case.due_at = case.yellow_at = None
        case.stage_unit, case.stage_limit_s, case.light = "", None, Light.NONE
        return
    amount, unit = limit_for(case.category_id, stage, case.urgency)
    if is_natural(unit):
        due = now + timedelta(minutes=amount)
    else:
        due = calendar.add_working_time(now, amount, unit)
    total = remaining(now, due, unit)
    case.stage_started_at, case.stage_unit, case.stage_limit_s, case.due_at = now, unit, total, due
    _set_yellow(case, now)


def yellow_share() -> float:
    return WorkflowSettings.current().yellow_share / 100


def _set_yellow(case, now: datetime) -> None:
    """Place yellow_at where the unused share of the limit falls to 1 − the yellow share (20 %)."""
    left = remaining(now, case.due_at, case.stage_unit)
    case.yellow_at = advance(now, max(0.0, left - (1 - yellow_share()) * case.stage_limit_s), case.stage_unit)
    case.light = light_at(case, now)


def pause(case, now: datetime) -> None:
    """挂账: stop the clock, keeping what was left of the limit."""
    case.paused_remaining_s = remaining(now, case.due_at, case.stage_unit) if case.due_at else None
    case.due_at = case.yellow_at = None
    case.light = Light.NONE


def resume(case, now: datetime) -> None:
    """Restart a paused clock: the suspended time does not count."""
    if case.paused_remaining_s is None:
        return
    case.due_at = advance(now, max(0.0, case.paused_remaining_s), case.stage_unit)
    case.paused_remaining_s = None
    _set_yellow(case, now)


def extended_due(case, amount: int) -> datetime:
    """The due time after a postponement of `amount` in the stage's own unit (minutes, working
    hours or working days): what approval applies, and what the decider reads before approving."""
    if is_natural(case.stage_unit):
        return case.due_at + timedelta(minutes=amount)
    return calendar.add_working_time(case.due_at, amount, case.stage_unit)


def extend(case, amount: int, now: datetime) -> None:
    """延期: an approved postponement moves the due time by `amount` of the stage's own unit."""
    old_due = case.due_at
    case.due_at = extended_due(case, amount)
    case.stage_limit_s = (case.stage_limit_s or 0) + remaining(old_due, case.due_at, case.stage_unit)
    _set_yellow(case, now)
