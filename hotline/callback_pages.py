"""The 回访 worklist page for call-takers (/hotline/callbacks/): thin over `callbacks`."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from city.models import Role
from city.privacy import phone_for
from city.roles import has_role
from citymgmt.errors import Forbidden

from . import callbacks

RESULT_LABELS = {
    "satisfied": _("满意"),
    "basically_satisfied": _("基本满意"),
    "not_satisfied": _("不满意"),
    "unreachable": _("未接通"),
}


def _require(request):
    if not has_role(request.user, Role.CALL_TAKER):
        raise Forbidden(_("只有受理员可以回访。"))


@login_required
def worklist(request):
    _require(request)
    recorded = None
    if request.method == "POST":
        event, followup = callbacks.record(
            request.POST.get("case", "")[:24], request.POST.get("result", ""), request.user,
            note=request.POST.get("note", "")[:500],
        )  # fmt: skip
        request.session["callback_done"] = {"case": event.case.number, "followup": followup.number if followup else ""}
        return redirect("hotline:callbacks")
    recorded = request.session.pop("callback_done", None)
    rows = [
        {
            "number": c.number,
            "phone": phone_for(request.user, c.reporter_phone),
            "name": c.reporter_name,
            "category": c.category.display_name,
            "address": c.address,
            "description": c.description[:120],
            "department": c.department.name if c.department_id else "",
            "closed_at": c.closed_at,
        }
        for c in callbacks.due()
    ]
    labels = [(value, str(RESULT_LABELS[value])) for value in callbacks.RESULTS]
    context = {"title": _("回访"), "rows": rows, "results": labels, "recorded": recorded}
    return render(request, "hotline/callbacks.html", context)
