"""Which cases a person may see (read access; what they may *do* is the workflow's business).

Centre staff and leaders see every case. An inspector sees the cases they reported or were sent
to and those in their responsibility grids; department staff see their department's cases.
"""

from django.db.models import Q

from city.models import Role
from city.roles import department_of, roles_of

from .models import Case

CITY_WIDE_ROLES = frozenset({Role.CALL_TAKER, Role.SUPERVISOR, Role.DISPATCHER, Role.LEADER, Role.ADMIN})


def inspector_cell_ids(user):
    return user.responsibility_grids.values_list("cells", flat=True)


def visible_cases(user):
    roles = roles_of(user)
    if roles & CITY_WIDE_ROLES:
        return Case.objects.all()
    rule = Q(pk__in=[])
    if Role.INSPECTOR in roles:
        rule |= Q(reporter=user) | Q(assigned_inspector=user) | Q(cell_id__in=inspector_cell_ids(user))
    department = department_of(user) if Role.DEPARTMENT_STAFF in roles else None
    if department is not None:
        rule |= Q(department=department)
    return Case.objects.filter(rule)


def own_cases(user):
    """`mine=1`: what the person reported or holds now."""
    rule = Q(reporter=user) | Q(assigned_inspector=user)
    department = department_of(user) if Role.DEPARTMENT_STAFF in roles_of(user) else None
    if department is not None:
        rule |= Q(department=department)
    return Case.objects.filter(rule)
