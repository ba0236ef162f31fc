"""请假审批 for supervisors (值班长) and admins: the pending requests first, then the recent
decisions; approve or reject, once. The rule is `field.leave.decide` (the admin's actions use it too)."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from citymgmt.errors import Forbidden, NotFound

from . import leave
from .models import LeaveRequest, Shift

RECENT = timedelta(days=30)
RECENT_ROWS = 100


def _require_decider(user) -> None:
    if not leave.may_decide(user):
        raise Forbidden(_("只有值班长可以审批请假。"))


def _rows(requests) -> list[dict]:
    requests = list(requests)
    shifts: dict[int, list] = {}
    for s in Shift.objects.filter(user_id__in={r.user_id for r in requests}):
        shifts.setdefault(s.user_id, []).append(s)
    rows = []
    for r in requests:
        minutes = leave.working_minutes(r, shifts.get(r.user_id, []))
        rows.append(
            {
                "leave": r,
                "name": r.user.get_full_name() or r.user.username,
                "span": leave.span_text(r),
                "hours": None if minutes is None else round(minutes / 60, 1),
                "decided_by": (r.decided_by.get_full_name() or r.decided_by.username) if r.decided_by else "",
            }
        )
    return rows


@login_required
@require_GET
def leave_list(request):
    _require_decider(request.user)
    base = LeaveRequest.objects.select_related("user", "decided_by")
    pending = base.filter(status=LeaveRequest.Status.PENDING).order_by("start", "id")
    decided = base.exclude(status=LeaveRequest.Status.PENDING).filter(decided_at__gte=timezone.now() - RECENT)
    decided = decided.order_by("-decided_at", "-id")[:RECENT_ROWS]
    return render(
        request,
        "field/leave.html",
        {"title": _("请假审批"), "pending": _rows(pending), "decided": _rows(decided), "recent_days": RECENT.days},
    )


@login_required
@require_POST
def leave_decide(request, pk: int, decision: str):
    _require_decider(request.user)
    if decision not in ("approve", "reject"):
        raise NotFound(_("没有这种审批操作。"))
    leave.decide(pk, decision == "approve", request.user)  # 409 (nothing changed) when already decided
    return redirect("field:leave")
