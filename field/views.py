"""Field pages and feeds for the centre's staff: who is near a case, now."""

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from city.roles import roles_of
from citymgmt.errors import Forbidden
from dispatch.access import CITY_WIDE_ROLES, visible_cases
from dispatch.services import cell_inspector

from .nearest import nearest_inspectors


@login_required
@require_GET
def case_nearest_inspectors(request, number):
    """For 派核实 / 派核查: the on-duty inspectors nearest the case, with distance in metres, and the
    cell's own inspector (the console shows both; the supervisor chooses)."""
    if not roles_of(request.user) & CITY_WIDE_ROLES:
        raise Forbidden()
    case = get_object_or_404(visible_cases(request.user), number=number)
    own = cell_inspector(case)
    near = nearest_inspectors(case.lng, case.lat) if case.lng is not None and case.lat is not None else []
    users = get_user_model().objects.filter(username__in=[n.username for n in near])
    names = {u.username: u.get_full_name() or u.username for u in users}
    return JsonResponse(
        {
            "cell_inspector": own.username if own else None,
            "nearest": [
                {
                    "username": n.username,
                    "name": names.get(n.username, n.username),
                    "distance_m": n.distance_m,
                    "recorded_at": n.recorded_at.isoformat(),
                }
                for n in near
            ],
        },
        json_dumps_params={"ensure_ascii": False},
    )
