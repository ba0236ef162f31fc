"""考勤 Attendance: clocking in and out, and the day's verdict against the inspector's schedule.

The rules are plain functions of what happened (clock events, approved leave) and what was due
(the schedule): `judge_day` decides one inspector's day; `attendance_for_days` loads what it needs
for many inspectors and days at once.

- Schedule 排班: the inspector's own shifts for that weekday (`Shift`), or else the city's working
  calendar (its working days and work periods, `city.calendar.work_periods`).
- Approved leave 请假 is cut out of the schedule; a day whose schedule it covers entirely is leave.
- Late 迟到: the first clock in of the day after the start of what remains of the schedule (plus
  `GRACE`). Early leave 早退: the day's last clock event is a clock out before its end (less `GRACE`).
- Absent 缺勤: the schedule is over and there was no clock in before its end.
- On duty 在岗: between a clock in and the next clock out; a clock in never closed counts until
  the end of the schedule (or midnight on a day with none), never past now.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from city import calendar, grid
from citymgmt.errors import InvalidData

from .models import ClockEvent, LeaveRequest, Shift

GRACE = timedelta(minutes=5)  # a clock a few minutes off is not late (the usual 弹性 of attendance rules)
Interval = tuple[datetime, datetime]


def midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, timezone.get_current_timezone())


def day_bounds(day: date) -> Interval:
    return midnight(day), midnight(day + timedelta(days=1))


# --------------------------------------------------------------------------- plain rules


def scheduled_periods(day: date, shifts: list) -> list[Interval]:
    """The periods the inspector is due on `day`: their own shifts, or the city's work periods."""
    if not shifts:
        return calendar.work_periods(day)
    tz = timezone.get_current_timezone()
    own = sorted((s.start, s.end) for s in shifts if s.weekday == day.weekday())
    return [(datetime.combine(day, a, tz), datetime.combine(day, b, tz)) for a, b in own]


def subtract(periods: list[Interval], cuts: list[Interval]) -> list[Interval]:
    """`periods` less every span in `cuts`."""
    result = []
    for a, b in periods:
        pieces = [(a, b)]
        for c, d in cuts:
            pieces = [p for x, y in pieces for p in ((x, min(y, c)), (max(x, d), y)) if p[1] > p[0]]
        result.extend(pieces)
    return result


def total(intervals: list[Interval]) -> timedelta:
    return sum((b - a for a, b in intervals), timedelta(0))


def overlap(xs: list[Interval], ys: list[Interval]) -> timedelta:
    return sum((min(b, d) - max(a, c) for a, b in xs for c, d in ys if min(b, d) > max(a, c)), timedelta(0))


def duty_intervals(clocks: list[tuple[str, datetime]], until: datetime) -> list[Interval]:
    """Clocked-in spans from (action, time) pairs in time order. A second clock in while on duty
    and a clock out while off are ignored; an open span closes at `until`."""
    spans, opened = [], None
    for action, at in clocks:
        if action == ClockEvent.Action.CLOCK_IN and opened is None:
            opened = at
        elif action == ClockEvent.Action.CLOCK_OUT and opened is not None:
            spans.append((opened, at))
            opened = None
    if opened is not None and until > opened:
        spans.append((opened, until))
    return spans


@dataclass
class DayAttendance:
    day: date
    scheduled: list[Interval]  # what was due, leave already cut out
    on_leave: bool = False
    first_in: datetime | None = None
    last_out: datetime | None = None
    late_minutes: int = 0
    early_minutes: int = 0
    absent: bool = False
    missing_clock_out: bool = False
    on_duty: list[Interval] = field(default_factory=list)

    @property
    def scheduled_minutes(self) -> int:
        return int(total(self.scheduled).total_seconds() // 60)

    @property
    def on_duty_minutes(self) -> int:
        return int(total(self.on_duty).total_seconds() // 60)

    @property
    def on_duty_scheduled_minutes(self) -> int:
        """On duty within the schedule: what the on-duty rate counts."""
        return int(overlap(self.on_duty, self.scheduled).total_seconds() // 60)

    @property
    def late(self) -> bool:
        return self.late_minutes > 0

    @property
    def early_leave(self) -> bool:
        return self.early_minutes > 0

    @property
    def status(self) -> str:
        """leave | absent | late | early | late_early | normal | rest (nothing due) | pending (not over yet)."""
        if self.on_leave:
            return "leave"
        if self.absent:
            return "absent"
        if not self.scheduled:
            return "rest"
        if self.first_in is None:
            return "pending"
        if self.late and self.early_leave:
            return "late_early"
        return "late" if self.late else "early" if self.early_leave else "normal"


def status_label(status: str) -> str:
    return {
        "leave": _("请假"),
        "absent": _("缺勤"),
        "late": _("迟到"),
        "early": _("早退"),
        "late_early": _("迟到且早退"),
        "normal": _("正常"),
        "rest": _("休息"),
        "pending": _("未打卡"),
    }[status]


def judge_day(
    day: date, scheduled: list[Interval], leaves: list[Interval], clocks: list[tuple[str, datetime]], now: datetime
) -> DayAttendance:
    """One inspector's day. `clocks`: (action, time) in time order, any days (this day's are used)."""
    start_of_day, end_of_day = day_bounds(day)
    due = subtract(scheduled, leaves)
    a = DayAttendance(day, due, on_leave=bool(scheduled) and not due)
    todays = [(act, at) for act, at in clocks if start_of_day <= at < end_of_day]
    ins = [at for act, at in todays if act == ClockEvent.Action.CLOCK_IN]
    outs = [at for act, at in todays if act == ClockEvent.Action.CLOCK_OUT]
    a.first_in = ins[0] if ins else None
    a.last_out = outs[-1] if outs else None
    close_at = min(now, due[-1][1] if due else end_of_day)
    a.on_duty = duty_intervals(todays, close_at)
    if not due:
        return a
    begin, finish = due[0][0], due[-1][1]
    if a.first_in is None or a.first_in >= finish:
        a.absent = now >= finish
        a.first_in = None if a.absent else a.first_in
        return a
    if a.first_in > begin + GRACE:
        a.late_minutes = int((a.first_in - begin).total_seconds() // 60)
    if todays[-1][0] == ClockEvent.Action.CLOCK_OUT and a.last_out < finish - GRACE:
        a.early_minutes = int((finish - a.last_out).total_seconds() // 60)
    a.missing_clock_out = now >= end_of_day and todays[-1][0] == ClockEvent.Action.CLOCK_IN
    return a


# --------------------------------------------------------------------------- loading, in bulk


def attendance_for_days(
    user_ids, days: list[date], now: datetime | None = None
) -> dict[tuple[int, date], DayAttendance]:
    """{(user id, day): DayAttendance} with three queries whatever the number of users and days."""
    now = now or timezone.now()
    user_ids = list(user_ids)
    if not days or not user_ids:
        return {}
    first, last = min(days), max(days)
    start, end = midnight(first), midnight(last + timedelta(days=1))
    shifts = defaultdict(list)
    for s in Shift.objects.filter(user_id__in=user_ids):
        shifts[s.user_id].append(s)
    leaves = defaultdict(list)
    approved = LeaveRequest.objects.filter(
        user_id__in=user_ids, status=LeaveRequest.Status.APPROVED, start__lt=end, end__gt=start
    )
    for lv in approved.values_list("user_id", "start", "end"):
        leaves[lv[0]].append((lv[1], lv[2]))
    clocks = defaultdict(list)
    rows = ClockEvent.objects.filter(user_id__in=user_ids, at__gte=start, at__lt=end).order_by("at", "id")
    for uid, action, at in rows.values_list("user_id", "action", "at"):
        clocks[uid].append((action, at))
    result = {}
    for day in days:
        for uid in user_ids:
            periods = scheduled_periods(day, shifts[uid])
            result[(uid, day)] = judge_day(day, periods, leaves[uid], clocks[uid], now)
    return result


def day_attendance(user, day: date, now: datetime | None = None) -> DayAttendance:
    return attendance_for_days([user.pk], [day], now)[(user.pk, day)]


# --------------------------------------------------------------------------- clocking


def last_clock_today(user, now: datetime):
    start, end = day_bounds(timezone.localdate(now))
    return ClockEvent.objects.filter(user=user, at__gte=start, at__lt=end).order_by("-at", "-id").first()


def on_duty(user, now: datetime | None = None) -> bool:
    """Clocked in today and not clocked out since (a forgotten clock out ends at midnight)."""
    last = last_clock_today(user, now or timezone.now())
    return last is not None and last.action == ClockEvent.Action.CLOCK_IN


def clock(user, action: str, lng: float, lat: float, now: datetime | None = None) -> ClockEvent:
    """Clock `user` in or out at (lng, lat), WGS-84. InvalidData when it would clock in twice or
    out while off duty."""
    now = now or timezone.now()
    if action not in ClockEvent.Action.values:
        raise InvalidData(_("打卡类型须为 clock_in 或 clock_out。"), fields={"action": "invalid"})
    with transaction.atomic():
        # One clock at a time per inspector: two taps cannot both clock in.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        last = last_clock_today(user, now)
        is_on = last is not None and last.action == ClockEvent.Action.CLOCK_IN
        if action == ClockEvent.Action.CLOCK_IN and is_on:
            raise InvalidData(_("今天已上班打卡，尚未下班打卡。"), fields={"action": "already_on_duty"})
        if action == ClockEvent.Action.CLOCK_OUT and not is_on:
            raise InvalidData(_("尚未上班打卡，不能下班打卡。"), fields={"action": "not_on_duty"})
        cell = grid.locate(lng, lat)
        return ClockEvent.objects.create(
            user=user, action=action, at=now, lng=lng, lat=lat, cell_code=cell.cell_code if cell else ""
        )
