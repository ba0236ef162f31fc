"""Who may do what: roles are Django groups named after `Role`."""

from .models.staff import Role


def roles_of(user) -> frozenset[str]:
    """The user's roles, cached on the user object for the request."""
    if user is None or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_citymgmt_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            cached |= {Role.ADMIN}
        user._citymgmt_roles = cached
    return cached


def has_role(user, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def department_of(user):
    profile = getattr(user, "profile", None) if user is not None and user.is_authenticated else None
    return profile.department if profile else None
