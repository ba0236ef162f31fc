from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from city.models import Role
from city.roles import roles_of

from .navigation import menu_for

# Where each role works; someone with several roles picks from the home page.
LANDING = {
    Role.CALL_TAKER: ("dispatch:console", "supervision"),
    Role.SUPERVISOR: ("dispatch:console", "supervision"),
    Role.DISPATCHER: ("dispatch:console", "dispatch"),
    Role.DEPARTMENT_STAFF: ("dispatch:console", "department"),
    Role.LEADER: ("maps:command",),
    Role.INSPECTOR: ("mobile_api:handset",),
}


@login_required
def home(request):
    """Each role lands on its own page; a person with several roles (or none yet) gets a list."""
    roles = roles_of(request.user)
    landings = {LANDING[r] for r in roles if r in LANDING}
    if len(landings) == 1 and len(roles) == 1:
        return redirect(*landings.pop())
    labels = sorted(str(Role(r).label) for r in roles)
    return render(request, "home.html", {"roles": labels, "pages": menu_for(request.user)})
