from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from .models import Role
from .roles import roles_of

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
    from dispatch.views import nav_for

    roles = roles_of(request.user)
    landings = {LANDING[r] for r in roles if r in LANDING}
    if len(landings) == 1 and len(roles) == 1:
        return redirect(*landings.pop())
    return render(request, "home.html", {"roles": sorted(roles), "consoles": nav_for(request.user)})
