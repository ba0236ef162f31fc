"""Who sees evaluation figures: leaders and supervisors (and admins)."""

from citymgmt.models import Role
from citymgmt.roles import has_role

EVALUATION_ROLES = (Role.LEADER, Role.SUPERVISOR, Role.ADMIN)


def may_see(user) -> bool:
    return has_role(user, *EVALUATION_ROLES)
