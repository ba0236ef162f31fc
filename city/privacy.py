"""Residents' phone numbers and voices: in full only to the roles that call them back."""

from .models import Role
from .phones import national_digits
from .roles import roles_of

# Call-takers and supervisors phone residents back; everyone else sees a masked number.
PHONE_ROLES = frozenset({Role.CALL_TAKER, Role.SUPERVISOR})


def mask_phone(phone: str) -> str:
    """138****1234: enough to recognise a number, not to dial it (a number of the city's own
    country as residents write it, without its +86)."""
    digits = national_digits(phone or "")
    if len(digits) <= 4:
        return "*" * len(digits)
    if len(digits) < 8:
        return "*" * (len(digits) - 4) + digits[-4:]
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def phone_for(user, phone: str) -> str:
    if not phone:
        return ""
    return phone if roles_of(user) & PHONE_ROLES else mask_phone(phone)


def may_hear_recordings(user) -> bool:
    """A caller's recorded voice is theirs like their number: heard by the same roles."""
    return bool(roles_of(user) & PHONE_ROLES)
