"""Who sees evaluation figures: leaders and supervisors (and admins)."""

from city.models import Role
from city.roles import has_role

EVALUATION_ROLES = (Role.LEADER, Role.SUPERVISOR, Role.ADMIN)


def may_see(user) -> bool:
    return has_role(user, *EVALUATION_ROLES)
