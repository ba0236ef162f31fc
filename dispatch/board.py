"""What the consoles list (plain functions: no HTTP). Each console shows cases in some states; a
page loads a snapshot, then applies live events from the log id the snapshot was taken at."""

from datetime import datetime, time

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from city.models import Role
from city.roles import department_of, roles_of

from . import display, live
from .broadcast import case_summary
from .models import Case, CaseEvent, State
from .models.cases import OPEN_STATES

# Which states each console lists. The page receives this table (dispatch.labels.client_table)
# and applies the same rule to live events.
CONSOLE_STATES = {
    "supervision": (State.REPORTED, State.VERIFYING, State.HANDLED, State.CHECKED),
    "dispatch": (State.REGISTERED, State.DISPATCHED, State.SUSPENDED),
    "department": (State.DISPATCHED, State.SUSPENDED, State.HANDLED, State.CHECKING, State.CHECKED),
}
# The lists a console shows, top to bottom: (id, title, rule). A case is in a list when its state
# is one of the rule's states and, where the rule says, its light is that light or it carries a
# request waiting for a decision, or carries a flag (broadcast.case_flags: urged, under a supervision
# order, an order overdue, a leader's instruction to acknowledge).
CONSOLE_SECTIONS = {
    "supervision": [
        ("queue", gettext_lazy("待受理案件"), {"states": (State.REPORTED, State.VERIFYING)}),
        ("to-close", gettext_lazy("待结案"), {"states": (State.CHECKED,)}),
        # A handled case the system could not send to check: nobody is responsible for its cell.
        ("needs-inspector", gettext_lazy("待派核查（无责任监督员）"), {"states": (State.HANDLED,)}),
    ],
    "dispatch": [
        ("to-dispatch", gettext_lazy("待派遣"), {"states": (State.REGISTERED,)}),
        ("requests", gettext_lazy("待审批申请"), {"states": (State.DISPATCHED,), "pending_request": True}),
        ("supervised", gettext_lazy("督办中"), {"states": (State.DISPATCHED,), "flag": "supervised"}),
        ("red", gettext_lazy("红灯"), {"states": (State.DISPATCHED,), "light": "red"}),
        ("yellow", gettext_lazy("黄灯"), {"states": (State.DISPATCHED,), "light": "yellow"}),
        ("suspended", gettext_lazy("挂账中"), {"states": (State.SUSPENDED,)}),
    ],
    "department": [
        (
            "instructions",
            gettext_lazy("领导批示待签收"),
            {"states": CONSOLE_STATES["department"], "flag": "instructed"},
        ),
        ("supervised", gettext_lazy("督办待回复"), {"states": (State.DISPATCHED,), "flag": "supervised"}),
        ("to-handle", gettext_lazy("待处置"), {"states": (State.DISPATCHED,)}),
        (
            "waiting",
            gettext_lazy("已处置待核查 / 挂账"),
            {"states": (State.SUSPENDED, State.HANDLED, State.CHECKING, State.CHECKED)},
        ),
    ],
}
# Leaders look on (the workflow gives them no action); the maps link them to cases here.
CONSOLE_ROLES = {
    "supervision": {Role.CALL_TAKER, Role.SUPERVISOR, Role.ADMIN, Role.LEADER},
    "dispatch": {Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN, Role.LEADER},
    "department": {Role.DEPARTMENT_STAFF},
}
SNAPSHOT_LIMIT = 2000
SUMMARY_RELATED = (
    "category", "department", "suggested_department", "assigned_inspector", "cell__community__street",
)  # fmt: skip


def console_titles() -> dict:
    return {"supervision": _("监督受理"), "dispatch": _("指挥派遣"), "department": _("专业部门")}


def may_open(user, console: str) -> bool:
    if console not in CONSOLE_ROLES or not roles_of(user) & CONSOLE_ROLES[console]:
        return False
    return console != "department" or department_of(user) is not None


def console_cases(user, console: str):
    cases = Case.objects.filter(state__in=CONSOLE_STATES[console])
    if console == "department":
        cases = cases.filter(department=department_of(user))
    return cases


def snapshot(user, console: str) -> dict:
    """The console's cases now, and the log id to resume from. The id is read first: an event
    committed in between is both in the list and replayed, and replays are idempotent upserts."""
    last_id = live.last_event_id()
    cases = console_cases(user, console).select_related(*SUMMARY_RELATED).order_by("-id")[:SNAPSHOT_LIMIT]
    summaries = [case_summary(c) | {"category_name": c.category.display_name} for c in cases]  # the page's language
    return {"last_id": last_id, "cases": summaries, "counts": counts(user, console)}


def counts(user, console: str) -> dict:
    """Open cases by state and by light (the figures at the top of a console)."""
    cases = Case.objects.filter(state__in=OPEN_STATES)
    if console == "department":
        cases = cases.filter(department=department_of(user))
    by_state = dict(cases.values_list("state").annotate(n=Count("id")).order_by())
    lights = cases.aggregate(yellow=Count("id", filter=Q(light="yellow")), red=Count("id", filter=Q(light="red")))
    return {"states": by_state, "lights": lights, "today": today(user, console)}


# Today's throughput (the figures a shift is judged by): the log's events of these actions.
THROUGHPUT = {"received": "report", "registered": "register", "dispatched": "dispatch", "closed": "close"}


def throughput_words() -> list[tuple[str, str]]:
    """The today figures' keys in order, with their words (the page shows them so)."""
    return [("received", _("受理")), ("registered", _("立案")), ("dispatched", _("派遣")), ("closed", _("结案")),
            ("mine", _("我办理"))]  # fmt: skip


def today(user, console: str, now: datetime | None = None) -> dict:
    """Cases received, registered, dispatched and closed since midnight in the city's zone (the
    department console: its own cases), and how many actions this person took today."""
    now = now or timezone.now()
    start = timezone.make_aware(datetime.combine(timezone.localdate(now), time.min))
    events = CaseEvent.objects.filter(created_at__gte=start, created_at__lte=now)
    if console == "department":
        events = events.filter(case__department=department_of(user))
    figures = events.filter(action__in=THROUGHPUT.values()).aggregate(
        **{name: Count("id", filter=Q(action=action)) for name, action in THROUGHPUT.items()}
    )
    figures["mine"] = events.filter(actor=user).count() if user.is_authenticated else 0
    return figures


def clock(user, console: str, now: datetime | None = None) -> dict:
    """The time left of the console's cases now, in the stage's unit (working or natural time),
    for the page to refresh its figures once a minute without a reload."""
    now = now or timezone.now()
    cases = (
        console_cases(user, console)
        .exclude(due_at=None, paused_remaining_s=None)
        .only("number", "state", "due_at", "stage_unit", "paused_remaining_s", "light")
        .order_by("-id")[:SNAPSHOT_LIMIT]
    )
    times = {}
    for case in cases:
        left = display.time_left(case, now)
        if left is not None:
            times[case.number] = left | {"light": case.light}
    return {"times": times}
