"""请假 Leave: an inspector asks (from the handset), a supervisor (值班长) decides, once.

Plain functions used by every door: the handset API files with `request_leave`; the supervisors'
page /field/leave/ and the admin's actions decide with `decide`. Approved leave is what
`field.attendance` cuts out of the inspector's schedule.
"""

from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from city.models import Role
from city.roles import has_role
from citymgmt.errors import Conflict, Forbidden, InvalidData, NotFound, WrongState

from . import access
from .attendance import overlap, scheduled_periods
from .models import LeaveRequest, Shift

MAX_SPAN = timedelta(days=30)  # longer absences are HR's business, not a supervisor's click
MAX_PAST = timedelta(days=7)  # a request after the fact, for last week at most
MAX_AHEAD = timedelta(days=366)
MAX_REASON = 200
BLOCKING = (LeaveRequest.Status.PENDING, LeaveRequest.Status.APPROVED)


may_decide = access.may_decide_leave


def require_inspector(user) -> None:
    if not has_role(user, Role.INSPECTOR):
        raise Forbidden(_("只有监督员可以请假。"))


def _check(user, start: datetime, end: datetime, reason: str, now: datetime) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidData(_("请填写请假事由。"), fields={"reason": "required"})
    if len(reason) > MAX_REASON or "\x00" in reason:
        raise InvalidData(_("请假事由最多 %(n)d 个字。") % {"n": MAX_REASON}, fields={"reason": "too_many_chars"})
    if end <= start:
        raise InvalidData(_("结束时间须晚于开始时间。"), fields={"end": "before_start"})
    if end - start > MAX_SPAN:
        raise InvalidData(_("一次请假最长 %(n)d 天。") % {"n": MAX_SPAN.days}, fields={"end": "too_long"})
    if end < now - MAX_PAST:
        raise InvalidData(_("不能为 %(n)d 天以前的时间请假。") % {"n": MAX_PAST.days}, fields={"start": "too_old"})
    if start > now + MAX_AHEAD:
        raise InvalidData(_("请假开始时间不能晚于一年以后。"), fields={"start": "too_far_ahead"})
    clash = LeaveRequest.objects.filter(user=user, status__in=BLOCKING, start__lt=end, end__gt=start).first()
    if clash is not None:
        raise InvalidData(
            _("与已有的请假（%(span)s，%(status)s）时间重叠。")
            % {"span": span_text(clash), "status": clash.get_status_display()},
            fields={"start": "overlaps"},
        )
    return reason


def request_leave(
    user, start: datetime, end: datetime, reason: str, *, now: datetime | None = None, client_key: str | None = None
) -> tuple[LeaveRequest, bool]:
    """File a leave request for `user` (an inspector). (request, created): a retry with the same
    `client_key` and the same content returns the first request and writes nothing; the same key
    with other content is a Conflict. InvalidData (nothing written) when the rules refuse it."""
    require_inspector(user)
    now = now or timezone.now()
    key = client_key or ""
    with transaction.atomic():
        # One request at a time per inspector: two overlapping submits cannot both pass the check.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        if key:
            first = LeaveRequest.objects.filter(user=user, client_key=key).first()
            if first is not None:
                return _same_or_conflict(first, start, end, reason), False
        reason = _check(user, start, end, reason, now)
        try:
            with transaction.atomic():
                leave = LeaveRequest.objects.create(user=user, start=start, end=end, reason=reason, client_key=key)
        except IntegrityError:  # the same key filed in between (another process)
            first = LeaveRequest.objects.get(user=user, client_key=key)
            return _same_or_conflict(first, start, end, reason), False
    return leave, True


def _same_or_conflict(first: LeaveRequest, start, end, reason) -> LeaveRequest:
    if (first.start, first.end, first.reason) != (start, end, (reason or "").strip()):
        raise Conflict(_("同一个 Idempotency-Key 已用于内容不同的请假。"), fields={"idempotency_key": "reused"})
    return first


def decide(request_id: int, approve: bool, by, now: datetime | None = None) -> LeaveRequest:
    """Approve or reject a pending request, once: Forbidden unless `by` is a supervisor or an admin,
    NotFound for no such request, WrongState (409, nothing changed) when it was already decided."""
    if not may_decide(by):
        raise Forbidden(_("只有值班长可以审批请假。"))
    now = now or timezone.now()
    with transaction.atomic():
        leave = LeaveRequest.objects.select_for_update().filter(pk=request_id).first()
        if leave is None:
            raise NotFound(_("没有这条请假。"))
        if leave.status != LeaveRequest.Status.PENDING:
            raise WrongState(
                _("这条请假已%(status)s，不能再次审批。") % {"status": leave.get_status_display()},
                fields={"status": leave.status},
            )
        leave.status = LeaveRequest.Status.APPROVED if approve else LeaveRequest.Status.REJECTED
        leave.decided_by = by
        leave.decided_at = now
        leave.save(update_fields=["status", "decided_by", "decided_at"])
    return leave


# --------------------------------------------------------------------------- what the pages show


def span_text(leave: LeaveRequest) -> str:
    start, end = timezone.localtime(leave.start), timezone.localtime(leave.end)
    if start.date() == end.date():
        return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"
    return f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M}"


def working_minutes(leave: LeaveRequest, shifts: list | None = None) -> int | None:
    """Minutes of the inspector's schedule (own shifts, or the city's working calendar) the span
    covers; None for a span longer than any request the handset lets in (one made in the admin)."""
    first: date = timezone.localtime(leave.start).date()
    last: date = timezone.localtime(leave.end).date()
    if last - first > MAX_SPAN + timedelta(days=1):
        return None
    if shifts is None:
        shifts = list(Shift.objects.filter(user_id=leave.user_id))
    span = [(leave.start, leave.end)]
    minutes, day = 0, first
    while day <= last:
        minutes += int(overlap(scheduled_periods(day, shifts), span).total_seconds() // 60)
        day += timedelta(days=1)
    return minutes


def own_requests(user, limit: int = 50):
    return LeaveRequest.objects.filter(user=user).order_by("-created_at", "-id")[:limit]
