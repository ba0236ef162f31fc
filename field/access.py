"""Who sees inspectors' trails, coverage and attendance: the inspector their own; supervisors
(值班长), leaders and admins everyone's."""

from city.models import Role
from city.roles import has_role

TRAIL_ROLES = (Role.SUPERVISOR, Role.LEADER, Role.ADMIN)
LEAVE_DECIDERS = (Role.SUPERVISOR, Role.ADMIN)  # 请假审批: the duty supervisor (值班长), or an admin


def may_decide_leave(user) -> bool:
    return has_role(user, *LEAVE_DECIDERS)


def may_see_everyones(user) -> bool:
    return has_role(user, *TRAIL_ROLES)


def may_see_trail_of(user, username: str) -> bool:
    if may_see_everyones(user):
        return True
    return username == user.username and has_role(user, Role.INSPECTOR)
