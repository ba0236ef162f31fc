from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .roles import roles_of


@login_required
def home(request):
    """Each role lands on its own page; until those pages exist, a list of what the user may open."""
    return render(request, "home.html", {"roles": sorted(roles_of(request.user))})
