"""What waits for a person (待办): the cases on which the workflow expects their next step."""

from django.db.models import Q

from city.models import Role
from city.roles import department_of, roles_of

from .models import Case, State

# (task name, role that does it, filter builder); a case may wait for several people.
_TASKS = [
    ("verify", Role.INSPECTOR, lambda user: Q(state=State.VERIFYING, assigned_inspector=user)),
    ("check", Role.INSPECTOR, lambda user: Q(state=State.CHECKING, assigned_inspector=user)),
    ("handle", Role.DEPARTMENT_STAFF, lambda user: Q(state=State.DISPATCHED, department=department_of(user))),
    ("register", Role.SUPERVISOR, lambda user: Q(state=State.REPORTED)),
    ("dispatch", Role.DISPATCHER, lambda user: Q(state=State.REGISTERED)),
    ("decide", Role.SUPERVISOR, lambda user: Q(state=State.DISPATCHED) & ~Q(pending_request="")),
    ("decide", Role.DISPATCHER, lambda user: Q(state=State.DISPATCHED, pending_request="postpone")),
    ("close", Role.SUPERVISOR, lambda user: Q(state=State.CHECKED)),
    ("acknowledge", Role.DEPARTMENT_STAFF, lambda user: Q(instruction_pending=True, department=department_of(user))),
]


def tasks_for(user, limit: int = 500) -> list[tuple[str, Case]]:
    """(task, case) pairs, most urgent first: red before yellow before green, then by due time."""
    roles = roles_of(user)
    rule, any_task = Q(pk__in=[]), False
    for _name, role, build in _TASKS:
        if role in roles and not (role == Role.DEPARTMENT_STAFF and department_of(user) is None):
            rule |= build(user)
            any_task = True
    if not any_task:
        return []
    cases = list(
        Case.objects.filter(rule)
        .select_related("category", "department", "suggested_department", "assigned_inspector", "cell")
        .order_by("due_at", "id")[:limit]
    )
    order = {"red": 0, "yellow": 1, "green": 2}
    cases.sort(key=lambda c: (order.get(c.light, 3), c.due_at is None, c.due_at or c.reported_at, c.id))
    return [(_task_name(case, user), case) for case in cases]


def _task_name(case, user) -> str:
    # Cheap in Python: the case is already loaded and the rules are simple field tests.
    if case.state == State.VERIFYING:
        return "verify"
    if case.state == State.CHECKING:
        return "check"
    if case.state == State.REPORTED:
        return "register"
    if case.state == State.REGISTERED:
        return "dispatch"
    if case.state == State.CHECKED and Role.SUPERVISOR in roles_of(user):
        return "close"
    dept = department_of(user)
    if dept is not None and case.department_id == dept.pk:
        if case.instruction_pending:
            return "acknowledge"  # 领导批示 first
        if case.supervision_due_at is not None:
            return "reply_supervision"
        return "handle"
    return "decide"
