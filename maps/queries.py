"""What the maps show, as plain queries: cases by filter, per-cell figures, today's figures, hot spots."""

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from city.models import Category
from citymgmt.errors import InvalidData
from citymgmt.query import finite, query_days, query_moment
from dispatch.models import Case, CaseEvent, State
from dispatch.models.cases import OPEN_STATES

DEFAULT_DAYS = 30
MAX_PAGE = 10_000
MAX_MAP_CASES = 250_000  # one request for the whole map; past this the feed says it was cut
LIGHT_RANK = {"": 0, "green": 1, "yellow": 2, "red": 3}


@dataclass
class CaseFilter:
    states: list[str]
    category: str = ""
    department: str = ""
    street: str = ""
    date_from: date | None = None
    date_to: date | None = None
    since: datetime | None = None
    bbox: tuple | None = None

    @classmethod
    def from_query(cls, query) -> "CaseFilter":
        """Reads and checks the query string; InvalidData names every bad parameter."""
        errors = {}
        states = []
        for value in query.getlist("state") if hasattr(query, "getlist") else [query.get("state", "")]:
            for s in filter(None, (value or "").split(",")):
                if s == "open":
                    states += sorted(OPEN_STATES)
                elif s in State.values:
                    states.append(s)
                else:
                    errors["state"] = "unknown"
        f = cls(states=sorted(set(states)))
        f.category = (query.get("category") or "").strip().upper()[:8]
        f.department = (query.get("department") or "").strip()[:32]
        f.street = (query.get("street") or "").strip()[:12]
        if f.street and not f.street.isdigit():
            errors["street"] = "invalid"
        days, day_errors = query_days(query)
        errors.update(day_errors)
        f.date_from, f.date_to = days.get("from"), days.get("to")
        f.since, since_error = query_moment(query, "since")
        if since_error:
            errors["since"] = since_error
        if query.get("bbox"):
            try:
                b = tuple(float(x) for x in query["bbox"].split(","))
                if len(b) != 4 or not (b[0] <= b[2] and b[1] <= b[3]):
                    raise ValueError
                if not all(finite(x, -180, 180) for x in b[::2]) or not all(finite(y, -90, 90) for y in b[1::2]):
                    raise ValueError
                f.bbox = b
            except ValueError:
                errors["bbox"] = "invalid"
        if errors:
            raise InvalidData(_("查询参数有误：%(f)s") % {"f": ", ".join(sorted(errors))}, fields=errors)
        if f.date_from is None and f.date_to is None and f.since is None and not query.get("all"):
            f.date_from = timezone.localdate() - timedelta(days=DEFAULT_DAYS)
        return f

    def apply(self, cases):
        if self.states:
            cases = cases.filter(state__in=self.states)
        if self.category:
            kind = {"C": "component", "E": "event"}.get(self.category[:1])
            code = self.category[1:] if kind else self.category
            cases = cases.filter(category__code=code, **({"category__kind": kind} if kind else {}))
        if self.department:
            cases = cases.filter(department__code=self.department)
        if self.street:
            cases = cases.filter(cell__code__startswith=self.street)
        tz = timezone.get_current_timezone()
        if self.date_from:
            cases = cases.filter(reported_at__gte=datetime.combine(self.date_from, time.min, tz))
        if self.date_to:
            cases = cases.filter(reported_at__lt=datetime.combine(self.date_to + timedelta(days=1), time.min, tz))
        if self.since:
            cases = cases.filter(updated_at__gt=self.since)
        if self.bbox:
            cases = cases.filter(
                lng__gte=self.bbox[0], lat__gte=self.bbox[1], lng__lte=self.bbox[2], lat__lte=self.bbox[3]
            )
        return cases


def map_cases(f: CaseFilter):
    return f.apply(Case.objects.filter(lng__isnull=False, lat__isnull=False))


def page(f: CaseFilter, after: int, limit: int):
    """One page of cases in id order: (rows, next_after or None). Rows are value tuples."""
    limit = max(1, min(limit, MAX_PAGE))
    rows = list(
        map_cases(f)
        .filter(id__gt=after)
        .order_by("id")
        .values_list(
            "id", "number", "lng", "lat", "state", "light", "category__kind", "category__code", "due_at", "address"
        )[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1][0] if more else None)


def columns(f: CaseFilter, limit: int = MAX_MAP_CASES) -> dict:
    """Every case the filter selects (up to `limit`), as columns: what the map loads in one
    request. Coordinates are integers of 1e-6 degree (~0.1 m) from `origin`; state, light and
    category are indexes into the lists sent once. `truncated` says the limit cut the list."""
    rows = list(
        map_cases(f).order_by("id").values_list("number", "lng", "lat", "state", "light", "category_id")[: limit + 1]
    )
    truncated = len(rows) > limit
    rows = rows[:limit]
    cats = {c.pk: c.full_code for c in Category.objects.all()}
    index: dict[str, dict] = {"s": {}, "l": {"": 0, "green": 1, "yellow": 2, "red": 3}, "c": {}}
    lng0 = math.floor(min((r[1] for r in rows), default=0) * 100) / 100
    lat0 = math.floor(min((r[2] for r in rows), default=0) * 100) / 100
    out = {"number": [], "x": [], "y": [], "s": [], "l": [], "c": []}
    s_idx, l_idx, c_idx = index["s"], index["l"], index["c"]
    for number, lng, lat, state, light, category_id in rows:
        out["number"].append(number)
        out["x"].append(round((lng - lng0) * 1e6))
        out["y"].append(round((lat - lat0) * 1e6))
        out["s"].append(s_idx.setdefault(state, len(s_idx)))
        out["l"].append(l_idx.setdefault(light or "", len(l_idx)))
        out["c"].append(c_idx.setdefault(cats.get(category_id, ""), len(c_idx)))
    return {
        "count": len(rows),
        "truncated": truncated,
        "origin": [lng0, lat0],
        "scale": 1_000_000,
        "states": list(s_idx),
        "lights": list(l_idx),
        "categories": list(c_idx),
        **out,
    }


def locate(number: str) -> dict | None:
    """One case's place and colour by its number, whatever the map's filter (the locate box)."""
    number = number.strip().upper()
    if not _NUMBER.match(number):
        raise InvalidData(_("案卷编号有误。"), fields={"number": "invalid"})
    row = (
        Case.objects.filter(number=number, lng__isnull=False, lat__isnull=False)
        .values_list("number", "lng", "lat", "state", "light", "category__kind", "category__code")
        .first()
    )
    if row is None:
        return None
    number, lng, lat, state, light, kind, code = row
    return {"number": number, "lng": lng, "lat": lat, "state": state, "light": light,
            "category": ("C" if kind == "component" else "E") + code}  # fmt: skip


def cell_figures() -> dict:
    """Open cases per cell and the worst light among them, for shading the grid."""
    rows = (
        Case.objects.filter(state__in=OPEN_STATES, cell__isnull=False)
        .values("cell__code")
        .annotate(
            n=Count("id"),
            red=Count("id", filter=Q(light="red")),
            yellow=Count("id", filter=Q(light="yellow")),
        )
    )
    out = {}
    for r in rows:
        worst = "red" if r["red"] else "yellow" if r["yellow"] else "green"
        out[r["cell__code"]] = {"open": r["n"], "worst": worst}
    return out


def today_figures(now: datetime | None = None) -> dict:
    """Today's figures for the wall screen, from the event log (what happened today)."""
    now = now or timezone.now()
    start = datetime.combine(timezone.localdate(now), time.min, timezone.get_current_timezone())
    today = CaseEvent.objects.filter(created_at__gte=start, created_at__lte=now)
    by_action = dict(today.values_list("action").annotate(n=Count("id")).order_by())
    closed = today.filter(to_state=State.CLOSED).exclude(from_state=State.CLOSED).count()
    handled_ids = list(today.filter(action="handle").values_list("case_id", "created_at"))
    # Handled late: a red light was logged for the case while it was being handled, before the handle.
    late = 0
    for case_id, handled_at in handled_ids:
        late += CaseEvent.objects.filter(
            case_id=case_id, action="warn", from_state=State.DISPATCHED, created_at__lte=handled_at,
            data__light="red",
        ).exists()  # fmt: skip
    on_time_rate = round(100 * (len(handled_ids) - late) / len(handled_ids), 1) if handled_ids else None
    return {
        "reported": by_action.get("report", 0),
        "registered": by_action.get("register", 0),
        "dispatched": by_action.get("dispatch", 0),
        "closed": closed,
        "overdue": Case.objects.filter(state__in=OPEN_STATES, light="red").count(),
        "on_time_rate": on_time_rate,
        "handled": len(handled_ids),
    }


def hot_cells(f: CaseFilter, limit: int = 20) -> list[dict]:
    """Cells where problems keep coming back: most cases in the period, with the top category."""
    cases = map_cases(f).filter(cell__isnull=False)
    top = list(
        cases.values("cell__code", "cell__community__name", "cell__community__street__name")
        .annotate(n=Count("id"))
        .order_by("-n", "cell__code")[:limit]
    )
    categories = {c.pk: c for c in Category.objects.all()}
    for row in top:
        by_cat = (
            cases.filter(cell__code=row["cell__code"])
            .values("category_id")
            .annotate(n=Count("id"))
            .order_by("-n", "category_id")
            .first()
        )
        category = categories[by_cat["category_id"]]
        # Names in the interface's language; the code for hovering.
        row["top_category"], row["top_category_n"] = category.display_name, by_cat["n"]
        row["top_category_code"] = category.full_code
        row["cell_label"] = (
            f"{row['cell__community__street__name']} {row['cell__community__name']} {row['cell__code'][12:]}"
        )
    return top


def hot_places(f: CaseFilter, limit: int = 20) -> list[dict]:
    """Addresses reported again and again (the same text, any case). An address made from the
    area's names ends with the grid code in brackets: the code goes to `code`, shown on hover."""
    rows = list(
        map_cases(f)
        .exclude(address="")
        .values("address")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .order_by("-n", "address")[:limit]
    )
    for row in rows:
        match = _TRAILING_CODE.match(row["address"])
        row["label"], row["code"] = (match[1], match[2]) if match else (row["address"], "")
    return rows


_NUMBER = re.compile(r"^[A-Z]?\d{4,31}$")
_TRAILING_CODE = re.compile(r"^(.*\S)\s*\((\d{14,15})\)$")


def heat_points(f: CaseFilter, precision: int = 4) -> list[list[float]]:
    """[lat, lng, weight] with points rounded to ~10 m and summed: bounded however many cases."""
    counts: dict[tuple, int] = {}
    for lng, lat in map_cases(f).values_list("lng", "lat").iterator(chunk_size=10_000):
        key = (round(lat, precision), round(lng, precision))
        counts[key] = counts.get(key, 0) + 1
    return [[lat, lng, n] for (lat, lng), n in counts.items()]


def track_actions(user, day) -> list[dict]:
    """The case actions an inspector took on `day` (reports, verifications, checks…), in time order,
    each at its case's point: what track replay shows along the trail."""
    from dispatch.models import CaseEvent
    from field.attendance import day_bounds

    start, end = day_bounds(day)
    rows = (
        CaseEvent.objects.filter(actor=user, created_at__gte=start, created_at__lt=end)
        .exclude(case__lng=None)
        .order_by("created_at", "id")
        .values_list("case__number", "action", "created_at", "case__lng", "case__lat")
    )
    return [{"number": n, "action": a, "at": at.isoformat(), "lng": lng, "lat": lat} for n, a, at, lng, lat in rows]
