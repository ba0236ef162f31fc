"""Evaluation indicators 综合评价 (the README's Evaluation section), computed from the case event log alone.

Every figure for a period [start, end) is read from events written before `end` — never from the
cases' current fields — so a past month's figures do not change when its cases move on. Each
event carries what evaluation needs: the department holding the case, the due time of the stage
it ended and whether it was met (`on_time`), and the due time of the stage it started.

Definitions (per department D, period P):
- dispatched 派遣: dispatch events to D in P.
- handled 处置 / handled on time 按期处置: handle events by D in P / with `on_time`.
- overdue unhandled 超期未处置: cases whose last event before the end of P left them dispatched
  to D with a due time before the end of P.
- to handle 应处置 = handled + overdue unhandled.
- rework 返工: failed checks in P of D's work; returned 回退: returns by D in P.
- closure 结案率, on-time closure 按期结案率: of the dispatches to D in P, the share whose case was
  closed before the end of P, and closed without ever having been handled late.
- volume score: dispatched ≤ 50 → 100, ≤ 100 → 90, ≤ 200 → 75, ≤ 500 → 60, ≤ 1000 → 40, else 20.
- score = volume × 10 % + closure × 30 % + on-time handling × 30 % + (1 − rework rate) × 30 %.
  (Weights and bands are the defaults of `EvaluationSettings`, which an admin may change.)
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Avg, CharField, Count, Exists, F, FloatField, OuterRef, Q
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Substr
from django.utils import timezone

from city.models import Department
from dispatch.models import PUBLIC_SOURCES, CaseEvent, State
from dispatch.services import utc_iso
from field import reports

from .models import EvaluationSettings

# 结案: the shift leader's close on a passed check, or the check itself where the city closes on it.
CLOSING_ACTIONS = ("check", "close")
AREA_LEVELS = {"district": 6, "street": 9, "community": 12, "cell": 15}


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime

    def events(self):
        return CaseEvent.objects.filter(created_at__gte=self.start, created_at__lt=self.end)


def rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 2) if whole else None


def volume_score(count: int, bands) -> int:
    """Bands are [upper limit, score], the last one with no limit."""
    return next(score for limit, score in bands if limit is None or count <= limit)


def rising_volume_score(count: int, bands) -> int:
    """Bands are [at least this many, score], ascending: the busiest scores highest."""
    found = [score for least, score in bands if count >= least]
    return found[-1] if found else 0


def grade(score: float | None, bands) -> str:
    if score is None:
        return "—"
    return next((g for lowest, g in bands if score >= lowest), bands[-1][1])


def avg_hours(**condition):
    """Mean time a stage took, in hours of its own kind of time, over events matching `condition`."""
    return Avg(Cast(KT("data__stage_elapsed_s"), FloatField()) / 3600, filter=Q(**condition))


def settings_in_force() -> dict:
    return EvaluationSettings.current().as_dict()


def _overdue_unhandled(period: Period):
    """Events that left a case dispatched with a due time before the end, and were the case's last
    event before the end (light changes aside: they carry no clock)."""
    later = CaseEvent.objects.filter(case_id=OuterRef("case_id"), id__gt=OuterRef("id"), created_at__lt=period.end)
    return (
        CaseEvent.objects.filter(created_at__lt=period.end, to_state=State.DISPATCHED)
        .exclude(action="warn")
        # Cast: a plain text comparison (UTC ISO strings sort in time order), not a JSON lookup.
        .annotate(due=Cast(KT("data__next_due_at"), CharField()))
        .filter(due__lt=utc_iso(period.end))
        .filter(~Exists(later.exclude(action="warn")))
    )


def department_table(period: Period, settings: dict | None = None) -> list[dict]:
    settings = settings or settings_in_force()
    w = settings["department_weights"]
    flows = (
        period.events()
        .annotate(dept=KT("data__department"))
        .exclude(dept=None)
        .values("dept")
        .annotate(
            dispatched=Count("id", filter=Q(action="dispatch")),
            handled=Count("id", filter=Q(action="handle")),
            handled_on_time=Count("id", filter=Q(action="handle", data__on_time=True)),
            returned=Count("id", filter=Q(action="return")),
            rework=Count("id", filter=Q(action="check", data__result="failed")),
            closed=Count("id", filter=Q(action__in=CLOSING_ACTIONS, to_state=State.CLOSED)),
            urged=Count("case_id", distinct=True, filter=Q(action="urge")),
            supervised=Count("id", filter=Q(action="supervise")),
            supervision_answered_on_time=Count("id", filter=Q(action="reply_supervision", data__reply_on_time=True)),
            callbacks_reached=Count("id", filter=Q(action="callback", data__reached=True)),
            callbacks_satisfied=Count("id", filter=Q(action="callback", data__satisfied=True)),
            avg_handling_hours=avg_hours(action="handle"),
        )
    )
    rows = {r["dept"]: dict(r) for r in flows}
    overdue = _overdue_unhandled(period).annotate(dept=KT("data__department")).values("dept").annotate(n=Count("id"))
    for r in overdue:
        rows.setdefault(r["dept"], {"dept": r["dept"]})["overdue_unhandled"] = r["n"]
    closed_by_end = CaseEvent.objects.filter(
        case_id=OuterRef("case_id"), action__in=CLOSING_ACTIONS, to_state=State.CLOSED, created_at__lt=period.end
    )
    handled_late = CaseEvent.objects.filter(
        case_id=OuterRef("case_id"), action="handle", data__on_time=False, created_at__lt=period.end
    )
    cohort = (
        period.events()
        .filter(action="dispatch")
        .annotate(dept=KT("data__department"), closed=Exists(closed_by_end), on_time=~Exists(handled_late))
        .values("dept")
        .annotate(
            # Assignments, not distinct cases: counting distinct would sort the month's dispatches,
            # and a case sent twice to the same department is rare (a return, then the same again).
            cohort=Count("id"),
            cohort_closed=Count("id", filter=Q(closed=True)),
            cohort_closed_on_time=Count("id", filter=Q(closed=True, on_time=True)),
        )
    )
    for r in cohort:
        rows.setdefault(r["dept"], {"dept": r["dept"]}).update(r)
    names = dict(Department.objects.values_list("code", "name"))
    table = []
    for code, r in rows.items():
        hours = r.get("avg_handling_hours")
        r = {k: r.get(k, 0) for k in (
            "dispatched", "handled", "handled_on_time", "returned", "rework", "closed", "overdue_unhandled",
            "cohort", "cohort_closed", "cohort_closed_on_time", "urged", "supervised",
            "supervision_answered_on_time", "callbacks_reached", "callbacks_satisfied",
        )}  # fmt: skip
        r["avg_handling_hours"] = round(hours, 2) if hours is not None else None
        r["overdue_handled"] = r["handled"] - r["handled_on_time"]
        r["to_handle"] = r["handled"] + r["overdue_unhandled"]
        r["handling_rate"] = rate(r["handled"], r["to_handle"])
        r["on_time_handling_rate"] = rate(r["handled_on_time"], r["to_handle"])
        r["rework_rate"] = rate(r["rework"], r["handled"])
        r["closure_rate"] = rate(r["cohort_closed"], r["cohort"])
        r["on_time_closure_rate"] = rate(r["cohort_closed_on_time"], r["cohort"])
        r["volume_score"] = volume_score(r["dispatched"], settings["volume_bands"])
        # The levers' items: cases urged (of those to handle), orders answered on time, satisfaction.
        r["urged_rate"] = rate(min(r["urged"], r["to_handle"]), r["to_handle"])
        r["supervision_on_time_rate"] = rate(r["supervision_answered_on_time"], r["supervised"])
        r["satisfaction_rate"] = rate(r["callbacks_satisfied"], r["callbacks_reached"])
        parts = [r["closure_rate"], r["on_time_handling_rate"]]
        if None in parts:
            r["score"] = None
        else:
            items = [
                (r["volume_score"], w.get("volume", 0)),
                (r["closure_rate"], w.get("closure", 0)),
                (r["on_time_handling_rate"], w.get("on_time_handling", 0)),
                (100 - (r["rework_rate"] or 0), w.get("no_rework", 0)),
                # An item with nothing to measure (no order, nobody reached) drops out with its weight.
                (_inverse(r["urged_rate"]), w.get("not_urged", 0)),
                (r["supervision_on_time_rate"], w.get("supervision_on_time", 0)),
                (r["satisfaction_rate"], w.get("satisfaction", 0)),
            ]
            r["score"] = weighted([(v, weight) for v, weight in items if weight])
        r["grade"] = grade(r["score"], settings["grade_bands"])
        table.append({"code": code, "name": names.get(code, code), **r})
    return sorted(table, key=lambda r: (r["score"] is None, -(r["score"] or 0), r["code"]))


def area_table(period: Period, level: str = "street") -> list[dict]:
    """Per district / street / community / cell (by the grid code's prefix)."""
    if level not in AREA_LEVELS:
        raise ValueError(level)
    n = AREA_LEVELS[level]
    # Only the actions these figures count (a case closes by a passed check, or by registering a
    # self-resolved report): a third of the log's rows fewer to join to cells.
    events = (
        period.events()
        .filter(action__in=["report", "register", *CLOSING_ACTIONS], case__cell__isnull=False)
        .annotate(area=Substr("case__cell__code", 1, n))
    )
    flows = events.values("area").annotate(
        reported=Count("id", filter=Q(action="report")),
        public_reports=Count("id", filter=Q(action="report", data__source__in=sorted(PUBLIC_SOURCES))),
        self_resolved=Count("id", filter=Q(action="report", data__source="self_resolved")),
        registered=Count("id", filter=Q(action="register")),
        closed=Count("id", filter=Q(to_state=State.CLOSED) & ~Q(from_state=State.CLOSED)),
        rework=Count("id", filter=Q(action="check", data__result="failed")),
        avg_register_hours=avg_hours(action="register"),
    )
    rows = {r["area"]: dict(r) for r in flows}
    closed_by_end = CaseEvent.objects.filter(
        case_id=OuterRef("case_id"),
        action__in=[*CLOSING_ACTIONS, "register"],
        to_state=State.CLOSED,
        created_at__lt=period.end,
    )
    cohort = (
        events.filter(action="register")
        .annotate(closed=Exists(closed_by_end))
        .values("area")
        .annotate(cohort=Count("id"), cohort_closed=Count("id", filter=Q(closed=True)))  # a case registers once
    )
    for r in cohort:
        rows.setdefault(r["area"], {"area": r["area"]}).update(r)
    table = []
    for area, r in sorted(rows.items()):
        hours = r.get("avg_register_hours")
        r = {k: r.get(k, 0) for k in (
            "reported", "public_reports", "self_resolved", "registered", "closed", "rework", "cohort", "cohort_closed",
        )}  # fmt: skip
        r["closure_rate"] = rate(r["cohort_closed"], r["cohort"])
        r["avg_register_hours"] = round(hours, 2) if hours is not None else None
        table.append({"code": area, **r})
    return table


def inspector_table(period: Period, settings: dict | None = None) -> list[dict]:
    """Per inspector: reports and how many became cases, missed reports (public reports of problems
    in their cells), on-time verify and check, and the composite score (weights: settings, by
    default 40/20/20/20)."""
    settings = settings or settings_in_force()
    registered_by_end = CaseEvent.objects.filter(
        case_id=OuterRef("case_id"), action="register", created_at__lt=period.end
    )
    rows = (
        period.events()
        .filter(actor_role="inspector")
        .annotate(valid=Exists(registered_by_end))
        .values(username=F("actor__username"))
        .annotate(
            reports=Count("id", filter=Q(action="report")),
            valid_reports=Count("id", filter=Q(action="report", valid=True)),
            verified=Count("id", filter=Q(action="verify")),
            verified_on_time=Count("id", filter=Q(action="verify", data__on_time=True)),
            checked=Count("id", filter=Q(action="check")),
            checked_on_time=Count("id", filter=Q(action="check", data__on_time=True)),
        )
        .order_by("username")
    )
    # Registered cases in each inspector's cells, and how many of them the public reported first.
    in_cells = (
        period.events()
        .filter(action="register", case__cell__responsibility_grids__inspectors__isnull=False)
        .values(username=F("case__cell__responsibility_grids__inspectors__username"))
        .annotate(
            registered_in_cells=Count("case_id", distinct=True),
            public_in_cells=Count("case_id", distinct=True, filter=Q(case__needs_verification=True)),
        )
    )
    cells = {r["username"]: r for r in in_cells}
    field_rates = _field_rates(period)
    table = []
    for r in rows:
        c = cells.get(r["username"], {})
        r["on_duty_rate"] = field_rates.get(r["username"], {}).get("on_duty_rate")
        r["coverage_rate"] = field_rates.get(r["username"], {}).get("coverage_rate")
        r["registered_in_cells"] = c.get("registered_in_cells", 0)
        r["missed_reports"] = c.get("public_in_cells", 0)
        r["missed_report_rate"] = rate(r["missed_reports"], r["registered_in_cells"])
        r["valid_report_rate"] = rate(r["valid_reports"], r["reports"])
        r["on_time_verify_rate"] = rate(r["verified_on_time"], r["verified"])
        r["on_time_check_rate"] = rate(r["checked_on_time"], r["checked"])
        w = settings["inspector_weights"]
        r["score"] = weighted(
            [(r["valid_report_rate"], w["valid_reports"]), (_inverse(r["missed_report_rate"]), w["no_missed_reports"]),
             (r["on_time_verify_rate"], w["on_time_verify"]), (r["on_time_check_rate"], w["on_time_check"]),
             (r["on_duty_rate"], w["on_duty"]), (r["coverage_rate"], w["coverage"])]
        )  # fmt: skip
        r["grade"] = grade(r["score"], settings["grade_bands"])
        table.append(r)
    return table


def _field_rates(period: Period) -> dict[str, dict]:
    """On-duty and coverage rates (考勤, 巡查覆盖) per inspector over the period's days so far."""
    first = timezone.localtime(period.start).date()
    last = timezone.localtime(period.end - timedelta(microseconds=1)).date()
    return reports.evaluation_rates(first, last)


def _inverse(value):
    return None if value is None else round(100 - value, 2)


def weighted(parts) -> float | None:
    """A weighted mean of the rates that exist (a rate with nothing to measure drops out)."""
    known = [(v, w) for v, w in parts if v is not None]
    if not known:
        return None
    return round(sum(v * w for v, w in known) / sum(w for _v, w in known), 2)


def staff_table(period: Period, settings: dict | None = None) -> list[dict]:
    """Per call-taker, supervisor and dispatcher: what they did, how much of it on time and right,
    and the composite score of their role."""
    # A registration is accurate unless the case was then cancelled or merged as a duplicate.
    undone = CaseEvent.objects.filter(
        case_id=OuterRef("case_id"), action__in=["cancel", "merge"], created_at__lt=period.end
    )
    rows = (
        period.events()
        .filter(actor_role__in=["call_taker", "supervisor", "dispatcher"])
        .annotate(undone=Exists(undone))
        .values("actor_role", username=F("actor__username"))
        .annotate(
            actions=Count("id"),
            registered=Count("id", filter=Q(action="register")),
            registered_on_time=Count("id", filter=Q(action="register", data__on_time=True)),
            dispatched=Count("id", filter=Q(action="dispatch")),
            dispatched_on_time=Count("id", filter=Q(action="dispatch", data__on_time=True)),
            wrong_dispatch=Count("id", filter=Q(action="dispatch", data__has_key="redispatched_from")),
            registered_then_undone=Count("id", filter=Q(action="register", undone=True)),
        )
        .order_by("actor_role", "username")
    )
    closure = _city_on_time_closure(period)
    settings = settings or settings_in_force()
    table = []
    for r in rows:
        r["on_time_registration_rate"] = rate(r["registered_on_time"], r["registered"])
        r["accurate_registration_rate"] = rate(r["registered"] - r["registered_then_undone"], r["registered"])
        r["on_time_dispatch_rate"] = rate(r["dispatched_on_time"], r["dispatched"])
        r["accurate_dispatch_rate"] = rate(r["dispatched"] - r["wrong_dispatch"], r["dispatched"])
        if r["actor_role"] == "supervisor":
            # Shift leader: on-time registration 25, accurate registration 40, on-time closure 35.
            w = settings["shift_leader_weights"]
            r["score"] = weighted(
                [(r["on_time_registration_rate"], w["on_time_registration"]),
                 (r["accurate_registration_rate"], w["accurate_registration"]),
                 (closure["on_time_closure_rate"], w["on_time_closure"])]
            )  # fmt: skip
        elif r["actor_role"] == "dispatcher":
            # Dispatcher: volume 20, on-time dispatch 40, accurate dispatch 40; the volume bands
            # rise with the work done (the department bands would score the busiest lowest).
            w = settings["dispatcher_weights"]
            volume = (
                rising_volume_score(r["dispatched"], settings["dispatcher_volume_bands"]) if r["dispatched"] else None
            )
            r["volume_score"] = volume
            r["score"] = weighted(
                [(volume, w["volume"]), (r["on_time_dispatch_rate"], w["on_time_dispatch"]),
                 (r["accurate_dispatch_rate"], w["accurate_dispatch"])]
            )  # fmt: skip
        else:
            r["score"] = weighted([(r["on_time_registration_rate"], 50), (r["accurate_registration_rate"], 50)])
        r["grade"] = grade(r["score"], settings["grade_bands"])
        table.append(r)
    return table


def _city_on_time_closure(period: Period) -> dict:
    """The city's on-time closure in the period: checks that closed a case never handled late."""
    handled_late = CaseEvent.objects.filter(
        case_id=OuterRef("case_id"), action="handle", data__on_time=False, created_at__lt=period.end
    )
    figures = (
        period.events()
        .filter(action__in=CLOSING_ACTIONS, to_state=State.CLOSED)
        .annotate(late=Exists(handled_late))
        .aggregate(closed=Count("id"), on_time=Count("id", filter=Q(late=False)))
    )
    return {"on_time_closure_rate": rate(figures["on_time"], figures["closed"])}
