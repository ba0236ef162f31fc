"""The `user` object handsets get at login and from /me."""

from city.models import GridCell
from city.roles import department_of, roles_of


def user_info(user) -> dict:
    department = department_of(user)
    grids = (
        GridCell.objects.filter(responsibility_grids__inspectors=user).order_by("code").values_list("code", flat=True)
    )
    return {
        "username": user.username,
        "roles": sorted(roles_of(user)),
        "department": department.code if department else None,
        "grids": list(dict.fromkeys(grids)),
    }
