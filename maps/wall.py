"""The wall screen's figures 大屏数据, as plain functions over the case event log and the cases.

Today's figures count the log's events since local midnight, next to the same hours of yesterday
(midnight to this time yesterday), so a wall at 10:00 compares a morning with a morning.
The month's panels (categories, sources, departments) count from the first of this month.
Every name is in the request's language; codes appear only where a person hovers.
"""

import re
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.db.models.fields.json import KT
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from city import grid
from city.models import Category, Department
from citymgmt import softcache
from dispatch import display, live
from dispatch.models import Case, CaseEvent, Source, State
from dispatch.models.cases import FINAL_STATES, OPEN_STATES
from evaluation.indicators import rate
from evaluation.periods import local_midnight
from field import positions

TREND_DAYS = 30
TOP_CATEGORIES = 10
RED_LIST = 10
FEED = 12
# An inspector whose handset sent a position within this time is on duty (on the street now).
ON_DUTY = timedelta(minutes=30)

# Today's figures, in the order the wall shows them.
FIGURES = [
    ("reported", gettext_lazy("今日上报")),
    ("registered", gettext_lazy("今日立案")),
    ("dispatched", gettext_lazy("今日派遣")),
    ("handled", gettext_lazy("今日处置")),
    ("closed", gettext_lazy("今日结案")),
    ("overdue", gettext_lazy("今日超期")),
    ("on_time_rate", gettext_lazy("今日按期处置率")),
]
# Where cases come from, as the wall groups them (self-resolved cases are inspectors' finds).
SOURCE_GROUPS = [
    ("inspector", gettext_lazy("监督员"), (Source.INSPECTOR, Source.SELF_RESOLVED)),
    ("hotline", gettext_lazy("热线电话"), (Source.CALL_TAKER,)),
    ("sms", gettext_lazy("短信"), (Source.SMS,)),
    ("voice", gettext_lazy("语音留言"), (Source.VOICE,)),
    ("web", gettext_lazy("网站 / Open311"), (Source.OPEN311,)),
]
GROUP_OF_SOURCE = {source: key for key, _label, sources in SOURCE_GROUPS for source in sources}

# Which events each of today's figures counts: one table, for the log's query here and for the
# page, which counts a live event at once (then fetches the summary to be sure).
FIGURE_EVENTS = {
    "reported": {"action": "report"},
    "registered": {"action": "register"},
    "dispatched": {"action": "dispatch"},
    "handled": {"action": "handle"},
    "closed": {"to_state": State.CLOSED.value, "not_from_state": State.CLOSED.value},
    # Cases whose stage clock ran out (the worker's red light).
    "overdue": {"action": "warn", "light": "red"},
}


def _event_rule(rule: dict) -> Q:
    q = Q()
    for field, value in rule.items():
        q &= {
            "action": lambda v: Q(action=v),
            "to_state": lambda v: Q(to_state=v),
            "not_from_state": lambda v: ~Q(from_state=v),
            "light": lambda v: Q(data__light=v),
        }[field](value)
    return q


# Each figure as a condition on events (on-time rate: handled on time over handled).
_COUNTED = {name: _event_rule(rule) for name, rule in FIGURE_EVENTS.items()} | {
    "handled_on_time": Q(action="handle", data__on_time=True),
}


def _day_start(day: date) -> datetime:
    return local_midnight(day)


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def today_vs_yesterday(now: datetime | None = None) -> dict:
    """{figure: {"today": n, "yesterday": n}} from one query over the log since yesterday's midnight."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    start, yesterday_start = _day_start(today), _day_start(today - timedelta(days=1))
    windows = {
        "today": Q(created_at__gte=start, created_at__lte=now),
        "yesterday": Q(created_at__gte=yesterday_start, created_at__lte=now - timedelta(days=1)),
    }
    counts = CaseEvent.objects.filter(created_at__gte=yesterday_start, created_at__lte=now).aggregate(
        **{f"{name}__{when}": Count("id", filter=rule & window) for name, rule in _COUNTED.items()
           for when, window in windows.items()}
    )  # fmt: skip
    out = {}
    for name, _label in FIGURES:
        if name == "on_time_rate":
            out[name] = {
                when: _rate(counts[f"handled_on_time__{when}"], counts[f"handled__{when}"]) for when in windows
            }
        else:
            out[name] = {when: counts[f"{name}__{when}"] for when in windows}
    return out


def _daily_counts(start: datetime, end: datetime) -> dict[date, dict]:
    """{day: {"reported": n, "closed": n}} for events in [start, end], by day in the city's zone."""
    rows = (
        CaseEvent.objects.filter(created_at__gte=start, created_at__lte=end)
        .filter(_COUNTED["reported"] | _COUNTED["closed"])
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(reported=Count("id", filter=_COUNTED["reported"]), closed=Count("id", filter=_COUNTED["closed"]))
    )
    return {r["day"]: {"reported": r["reported"], "closed": r["closed"]} for r in rows}


def trend(now: datetime | None = None, days: int = TREND_DAYS) -> dict:
    """Cases reported and closed per day over the last `days` days, today included. The days
    before today are done (the log only grows at its end): counted once an hour, today each time."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    first = today - timedelta(days=days - 1)
    before = softcache.get_or_build(
        f"maps:wall:trend:{first}:{today}",
        lambda: _daily_counts(_day_start(first), _day_start(today) - timedelta(microseconds=1)),
        3600,
    )
    by_day = before | _daily_counts(_day_start(today), now)
    dates = [first + timedelta(days=i) for i in range(days)]
    return {
        "days": [f"{d:%m-%d}" for d in dates],
        "reported": [by_day.get(d, {}).get("reported", 0) for d in dates],
        "closed": [by_day.get(d, {}).get("closed", 0) for d in dates],
    }


def _month_reports(now: datetime):
    return CaseEvent.objects.filter(
        action="report", created_at__gte=_day_start(timezone.localdate(now).replace(day=1)), created_at__lte=now
    )


def top_categories(now: datetime | None = None, limit: int = TOP_CATEGORIES) -> list[dict]:
    """The categories most reported this month: [{"name", "code", "n"}], most first."""
    now = now or timezone.now()
    rows = list(
        _month_reports(now)
        .values("case__category_id")
        .annotate(n=Count("id"))
        .order_by("-n", "case__category_id")[:limit]
    )
    categories = Category.objects.in_bulk([r["case__category_id"] for r in rows])
    return [
        {
            "name": categories[r["case__category_id"]].display_name,
            "code": categories[r["case__category_id"]].full_code,
            "n": r["n"],
        }
        for r in rows
    ]


def source_mix(now: datetime | None = None) -> list[dict]:
    """This month's reports by where they came from: [{"key", "name", "n"}] for every group."""
    now = now or timezone.now()
    counts = dict.fromkeys((key for key, _label, _sources in SOURCE_GROUPS), 0)
    for source, n in _month_reports(now).values_list("case__source").annotate(n=Count("id")).order_by():
        counts[GROUP_OF_SOURCE.get(source, "web")] += n
    return [{"key": key, "name": str(label), "n": counts[key]} for key, label, _sources in SOURCE_GROUPS]


def department_ranking(now: datetime | None = None) -> list[dict]:
    """Departments by on-time handling rate this month so far, best first; departments with
    nothing to handle yet come last.

    Evaluation's definition (evaluation.indicators): handled on time / (handled + overdue
    unhandled at the period's end). For a period that ends now, the cases overdue unhandled at its
    end are the cases dispatched to the department now and past their due time: an indexed count
    over the cases, where evaluation's department table finds each case's last event in the log
    (seconds at 20,000 cases: bench/wall.py). tests/maps/test_wall.py checks both give the same rates."""
    now = now or timezone.now()
    start = _day_start(timezone.localdate(now).replace(day=1))
    handled = (
        CaseEvent.objects.filter(action="handle", created_at__gte=start, created_at__lte=now)
        .annotate(dept=KT("data__department"))
        .exclude(dept=None)
        .values("dept")
        .annotate(handled=Count("id"), on_time=Count("id", filter=Q(data__on_time=True)))
    )
    rows = {r["dept"]: {"handled": r["handled"], "on_time": r["on_time"], "overdue": 0} for r in handled}
    overdue = (
        Case.objects.filter(state=State.DISPATCHED, department__isnull=False, due_at__lt=now)
        .values_list("department__code")
        .annotate(n=Count("id"))
        .order_by()
    )
    for code, n in overdue:
        rows.setdefault(code, {"handled": 0, "on_time": 0})["overdue"] = n
    names = dict(Department.objects.values_list("code", "name"))
    ranking = []
    for code, r in rows.items():
        to_handle = r["handled"] + r.get("overdue", 0)
        ranking.append({"name": names.get(code, code), "code": code, "rate": rate(r["on_time"], to_handle),
                        "to_handle": to_handle})  # fmt: skip
    return sorted(ranking, key=lambda r: (r["rate"] is None, -(r["rate"] or 0), -r["to_handle"], r["code"]))


def red_list(now: datetime | None = None, limit: int = RED_LIST) -> dict:
    """Open cases with a red light (past their stage's limit), longest overdue first."""
    now = now or timezone.now()
    red = Case.objects.filter(state__in=OPEN_STATES, light="red")
    cases = red.select_related("category", "department", "cell__community__street").order_by("due_at", "id")[:limit]
    return {
        "count": red.count(),
        "cases": [
            {
                "number": c.number,
                "category": c.category.display_name,
                "place": place_name(c),
                "department": c.department.name if c.department_id else "",
                "state": str(State(c.state).label),
                "overdue": _overdue_by(c, now),
            }
            for c in cases
        ],
    }


def _overdue_by(case: Case, now: datetime) -> str:
    """How long past its limit, in the stage's unit ("3.5 工时", "2 天"): the list is of overdue cases."""
    left = display.time_left(case, now)
    if left is None:
        return ""
    return display.duration_text(left["seconds"], case.stage_unit) if left["overdue"] else left["text"]


def on_duty(now: datetime | None = None) -> dict:
    """Inspectors whose handsets reported a position lately, with the street they are in."""
    now = now or timezone.now()
    recent = [p for p in positions.latest() if p.recorded_at >= now - ON_DUTY]
    names = {
        u.username: u.get_full_name() or u.username
        for u in get_user_model().objects.filter(username__in=[p.username for p in recent])
    }
    cells = grid.locate_many([(p.lng, p.lat) for p in recent]) if recent else []
    people = [
        {"username": p.username, "name": names.get(p.username, p.username), "street": cell.street_name if cell else ""}
        for p, cell in zip(recent, cells, strict=True)
    ]
    return {"count": len(people), "people": sorted(people, key=lambda p: p["name"])}


def latest_cases(limit: int = FEED) -> list[dict]:
    """The latest reports, newest first: what the rolling feed shows before live events (from the
    log's report events: indexed by action and time, at any number of cases)."""
    reports = CaseEvent.objects.filter(action="report").order_by("-created_at", "-id")
    ids = list(reports.values_list("case_id", flat=True)[:limit])
    cases = Case.objects.select_related("category", "cell__community__street").in_bulk(ids)
    return [feed_item(cases[i]) for i in ids if i in cases]


_TRAILING_CODE = re.compile(r"\s*\(\d{14,15}\)$")


def place_name(case: Case) -> str:
    """The place as people say it: an address made from the area's names carries the grid code in
    brackets at its end, which the wall leaves out."""
    return _TRAILING_CODE.sub("", display.place_label(case))


def _is_today(moment: datetime) -> bool:
    return timezone.localdate(moment) == timezone.localdate()


def feed_item(case: Case) -> dict:
    return {
        "number": case.number,
        # Today's by the clock, earlier ones by the day.
        "time": display.local(case.reported_at, "%H:%M" if _is_today(case.reported_at) else "%m-%d"),
        "category": case.category.display_name,
        "place": place_name(case),
        "source": GROUP_OF_SOURCE.get(case.source, ""),
        "state": case.state,
        "light": case.light,
    }


def summary(now: datetime | None = None) -> dict:
    """Everything the wall shows but the map, and the log id it is as of (a live board resumes
    from it). Cached per log id: every wall that refreshes after the same event shares one
    computation."""
    last_id = live.last_event_id()  # read first: an event committed meanwhile is replayed too
    key = f"maps:wall:{last_id}:{get_language()}"

    def build():
        moment = now or timezone.now()
        return {
            "last_id": last_id,
            "today": today_vs_yesterday(moment),
            "trend": trend(moment),
            "categories": top_categories(moment),
            "sources": source_mix(moment),
            "departments": department_ranking(moment),
            "red": red_list(moment),
            "inspectors": on_duty(moment),
            "feed": latest_cases(),
        }

    return softcache.get_or_build(key, build, 60)


def page_words() -> dict:
    """The words the wall's script shows (titles of figures and series, sources), in the page's language."""
    return {
        "figures": [[key, str(label)] for key, label in FIGURES],
        "figure_events": FIGURE_EVENTS,
        "sources": {key: str(label) for key, label, _sources in SOURCE_GROUPS},
        "source_groups": {str(source): key for source, key in GROUP_OF_SOURCE.items()},
        "final_states": sorted(str(s) for s in FINAL_STATES),
        "feed_size": FEED,
        "strings": {
            "reported": _("上报数"),
            "closed": _("结案数"),
            "yesterday": _("昨日同时"),
            "cases": _("件"),
            "nothing": _("暂无"),
            "no_red": _("没有超期案件"),
            "nobody": _("暂无在岗监督员"),
        },
    }
