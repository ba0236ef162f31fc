"""综合查询: find any case by number, phone, address, name or description words, with filters.

One filter set (django-filter) serves the query page, its CSV/XLSX exports, the batch PDF and the
handset API's case list, so a query means the same thing at every door. What a person may find
is `access.visible_cases` (department staff: their department's cases only); the reporter's phone
is searched only for the roles that see it in full, and only on the whole number, by index.
"""

import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum

import django_filters as filters
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connections, transaction
from django.db.models import BooleanField, Exists, OuterRef, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from city.models import Category, Department, Role
from city.privacy import PHONE_ROLES
from city.roles import roles_of
from citymgmt.errors import Forbidden, InvalidData
from citymgmt.query import EARLIEST_DAY, LATEST_DAY

from . import keyset
from .access import visible_cases
from .models import Case, CaseEvent, Light, Source, State, Urgency
from .models.cases import FINAL_STATES

# Dates outside these years are typing errors, and their arithmetic would overflow at the ends.
FIRST_DAY, LAST_DAY = EARLIEST_DAY, LATEST_DAY  # citymgmt.query: the one set of bounds
NUMBER_RE = re.compile(r"^[A-Za-z]?\d{4,}$")
PHONE_RE = re.compile(r"^\+?[\d\s-]{7,20}$")
FULL_NUMBER_LENGTH = 17  # E + 4-digit category + 8-digit date + at least 4-digit sequence


class TextKind(StrEnum):
    """What the query box holds, which decides the one column (and index) it is matched on."""

    NONE = "none"
    FULL_NUMBER = "full_number"  # a whole case number: the unique index
    PART_NUMBER = "part_number"  # digits (maybe a kind letter): part of a case number, or a phone in full
    PHONE = "phone"  # a phone number written with spaces, dashes or +86: the reporter's phone only
    WORDS = "words"  # anything else: address and description words, or a resident's name


def kind_of(value: str, phone_allowed: bool) -> TextKind:
    """Route the free text by its shape. A phone written with separators is a phone only for the
    roles that see numbers in full; for the others it stays words (they may not search phones)."""
    value = value.strip()
    if not value:
        return TextKind.NONE
    if NUMBER_RE.match(value):
        return TextKind.FULL_NUMBER if len(value) >= FULL_NUMBER_LENGTH else TextKind.PART_NUMBER
    if PHONE_RE.match(value) and phone_allowed and len(normalise_phone(value)) >= 7:
        return TextKind.PHONE
    return TextKind.WORDS


# Sortable columns: the `sort` parameter's names → model fields (prefix "-" for descending).
# Those that may be empty page by number: NULLs order differently on PostgreSQL and SQLite.
SORTS = {
    "number": "number",
    "reported_at": "reported_at",
    "state": "state",
    "category": "category__major_code",
    "department": "department__name",
    "place": "address",
    "due_at": "due_at",
    "light": "light",
    "source": "source",
    "closed_at": "closed_at",
}
NULLABLE_SORTS = frozenset({"department__name", "due_at", "closed_at"})


def normalise_phone(raw: str) -> str:
    """Digits of a Chinese number as residents write it: +86 138 1234 5678, 008613812345678 → 13812345678."""
    digits = re.sub(r"\D", "", raw or "")
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11:
            return digits[len(prefix) :]
    return digits


def phone_forms(raw: str) -> list[str]:
    """The forms a number may be stored in, for an exact (indexed) match."""
    digits = normalise_phone(raw)
    return sorted({digits, f"+86{digits}", f"86{digits}"}) if digits else []


def bigrams_match(pair: str) -> RawSQL:
    """Cases whose address or description holds the two characters `pair`, by the GIN index of
    migration dispatch.case_query_indexes (PostgreSQL only; the expression must be the index's)."""
    return RawSQL(
        'case_bigrams(UPPER("dispatch_case"."address"::text || \' \' || "dispatch_case"."description"))'
        " @> ARRAY[UPPER(%s)]",
        [pair],
        output_field=BooleanField(),
    )


def may_search_phone(user) -> bool:
    return bool(roles_of(user) & PHONE_ROLES)


class BoundedDateFilter(filters.DateFilter):
    """A day between 2000 and 2099, as the start (`lookup gte`) or end (`lt` next day) of a range."""

    def __init__(self, *args, end=False, **kwargs):
        self.end = end
        kwargs["validators"] = [MinValueValidator(FIRST_DAY), MaxValueValidator(LAST_DAY)]
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        tz = timezone.get_current_timezone()
        moment = datetime.combine(value + timedelta(days=1) if self.end else value, time.min, tzinfo=tz)
        lookup = "lt" if self.end else "gte"
        return qs.filter(**{f"{self.field_name}__{lookup}": moment})


INSTRUCTED_CHOICES = (("any", _("有领导批示")), ("pending", _("批示待签收")))
# A choice, not a boolean: the page says it in words, and the API's schema lists the two values.
URGED_CHOICES = (("urged", _("被催办过")), ("not_urged", _("未被催办")))


class CaseQuery(filters.FilterSet):
    """The filters of 综合查询. `request` must be given: the phone rules depend on the user."""

    q = filters.CharFilter(method="filter_text", label=_("案卷号 / 电话 / 地址 / 描述"), max_length=100)
    phone = filters.CharFilter(method="filter_phone", label=_("市民电话"), max_length=32)
    name = filters.CharFilter(field_name="reporter_name", lookup_expr="exact", label=_("市民姓名"), max_length=50)
    # distinct=False: each is a plain IN on the case's own column, no join can repeat a row; django-filter's
    # default DISTINCT made PostgreSQL sort every match, all columns wide, before taking a page.
    state = filters.MultipleChoiceFilter(choices=State.choices, label=_("状态"), distinct=False)
    category = filters.CharFilter(method="filter_category", label=_("类别"), max_length=16)
    source = filters.MultipleChoiceFilter(choices=Source.choices, label=_("来源"), distinct=False)
    source_label = filters.CharFilter(field_name="source_label", label=_("来源系统"), max_length=32)
    department = filters.ModelChoiceFilter(queryset=Department.objects.all(), to_field_name="code", label=_("处置部门"))
    street = filters.CharFilter(field_name="cell__community__street__code", label=_("街道"), max_length=9)
    community = filters.CharFilter(field_name="cell__community__code", label=_("社区"), max_length=12)
    light = filters.MultipleChoiceFilter(choices=[c for c in Light.choices if c[0]], label=_("警示灯"), distinct=False)
    # "true" / "false" only: anything else is a 400 (a lenient boolean would read "-1" as "not given").
    overdue = filters.ChoiceFilter(
        choices=[("true", _("是")), ("false", _("否"))], method="filter_overdue", label=_("已超期")
    )
    urgency = filters.ChoiceFilter(choices=Urgency.choices, label=_("紧急程度"))
    instructed = filters.ChoiceFilter(
        method="filter_instructed", choices=INSTRUCTED_CHOICES, label=_("领导批示"), empty_label=None
    )
    urged = filters.ChoiceFilter(method="filter_urged", choices=URGED_CHOICES, label=_("催办"), empty_label=None)
    reported_from = BoundedDateFilter(field_name="reported_at", label=_("上报日期起"))
    reported_to = BoundedDateFilter(field_name="reported_at", end=True, label=_("上报日期止"))
    closed_from = BoundedDateFilter(field_name="closed_at", label=_("结案日期起"))
    closed_to = BoundedDateFilter(field_name="closed_at", end=True, label=_("结案日期止"))
    inspector = filters.CharFilter(field_name="reporter__username", label=_("上报监督员"), max_length=150)

    class Meta:
        model = Case
        fields: list = []

    def filter_text(self, qs, name, value):
        """One box, routed by what was typed, so that PostgreSQL answers from one index per kind
        instead of an OR over every column (which scans): see `kind_of`."""
        value = value.strip()
        kind = kind_of(value, may_search_phone(self.request.user))
        if kind == TextKind.NONE:
            return qs
        if kind == TextKind.FULL_NUMBER:
            return qs.filter(number=value.upper())
        if kind == TextKind.PART_NUMBER:
            # Numbers are stored upper-case: a plain LIKE uses the trigram index on `number`.
            rule = Q(number__contains=value.upper())
            if PHONE_RE.match(value) and may_search_phone(self.request.user):
                rule |= Q(reporter_phone__in=phone_forms(value))
            return qs.filter(rule)
        if kind == TextKind.PHONE:
            return qs.filter(reporter_phone__in=phone_forms(value))
        # Words: address and description by trigram index on UPPER(column) (icontains' own form on
        # PostgreSQL, migration dispatch.case_query_indexes), a resident's name whole, by b-tree.
        words = Q(address__icontains=value) | Q(description__icontains=value)
        if len(value) == 2 and connections[qs.db].vendor == "postgresql":
            # No trigram in two characters: the character-pair index finds the rare ones; the LIKEs
            # stay, so that for a common pair the newest cases are matched without computing pairs.
            words &= Q(bigrams_match(value))
        return qs.filter(words | Q(reporter_name=value))

    def filter_phone(self, qs, name, value):
        if not value.strip():
            return qs
        if not may_search_phone(self.request.user):
            raise Forbidden(_("您的角色不能按市民电话查询。"))
        return qs.filter(reporter_phone__in=phone_forms(value))

    def filter_category(self, qs, name, value):
        """A full code (E0102), a major class (E01) or a category name."""
        value = value.strip()
        if not value:
            return qs
        matching = [c.pk for c in Category.objects.all() if c.full_code.startswith(value.upper()) or c.name == value]
        return qs.filter(category_id__in=matching)

    def filter_instructed(self, qs, name, value):
        """Cases with a leader's instruction (any), or one the department has not acknowledged."""
        if value == "pending":
            return qs.filter(instruction_pending=True)
        if value == "any":
            return qs.exclude(instruction="")
        return qs

    def filter_urged(self, qs, name, value):
        """Cases urged (催办) or under a supervision order (督办, the stronger urge) at any time, or never."""
        if value not in ("urged", "not_urged"):
            return qs
        urged = Exists(CaseEvent.objects.filter(case_id=OuterRef("pk"), action__in=("urge", "supervise")))
        return qs.filter(urged) if value == "urged" else qs.exclude(urged)

    def filter_overdue(self, qs, name, value):
        if value in (None, ""):
            return qs
        value = value == "true"
        rule = Q(due_at__lt=timezone.now()) & ~Q(state__in=FINAL_STATES) & ~Q(state=State.SUSPENDED)
        return qs.filter(rule) if value else qs.exclude(rule)


def filtered(user, params, cases):
    """`cases` narrowed by the query's filters; InvalidData naming the fields on a bad parameter,
    Forbidden for a phone search by a role that sees masked numbers."""
    query = CaseQuery(params, queryset=cases, request=_Request(user))
    if not query.is_valid():
        raise InvalidData(fields={k: "; ".join(map(str, v)) for k, v in query.errors.items()})
    return query.qs


def search(user, params, *, sort: str | None = None):
    """The cases `user` may see that match `params` (a QueryDict), sorted."""
    qs = filtered(user, params, visible_cases(user))
    return qs.select_related(*RELATED).order_by(*ordering(sort))


RELATED = ("category", "department", "cell__community__street", "reporter")


def ordering(sort: str | None) -> list[str]:
    """The order of `sort`, ties broken by id in the same direction (one index range serves both)."""
    field, descending = sort_field(sort)
    if field == "id":
        return ["-id"]
    sign = "-" if descending else ""
    return [sign + field, sign + "id"]


def sort_field(sort: str | None) -> tuple[str, bool]:
    """(model field, descending) of the `sort` parameter; the default is newest first."""
    if not sort:
        return "id", True
    field = SORTS.get(sort.lstrip("-"))
    if field is None:
        raise InvalidData(fields={"sort": "unknown"})
    return field, sort.startswith("-")


@dataclass
class Page:
    cases: list
    number: int  # shown as 第 N 页; with a cursor it only labels the page
    has_next: bool
    next_cursor: str | None  # None: the next page is by number (OFFSET)
    prev_cursor: str | None
    total: int | None  # None: not counted (a later page)
    capped: bool  # more than COUNT_CAP matched: shown as "1,000 件以上"


PAGE_SIZE = 25
COUNT_CAP = 500  # 20 pages; each 500 more matches of a common word cost ~15k rows read (bench/case_query.py)
OFFSET_PAGES = 400  # numbered pages (sorts without a cursor, old links) stop here


def page_of(found, params, sort: str | None) -> Page:
    """One page of `found` (from `search`): after/before a cursor, or by number (`page`)."""
    sort = sort or ""
    field, descending = sort_field(sort)
    by_cursor = field not in NULLABLE_SORTS
    try:
        number = max(1, int(params.get("page") or 1))
    except ValueError as exc:
        raise InvalidData(fields={"page": "invalid"}) from exc
    after, before = params.get("after") or "", params.get("before") or ""
    total = None
    if (after or before) and not by_cursor:
        raise InvalidData(keyset.BAD_CURSOR, fields={"after" if after else "before": "invalid"})
    with _serial(found.db):
        if after:
            value, pk = keyset.decode(after, sort, field, "after")
            chunk = _cases(keyset.seek(found, field, descending, value, pk), 0, PAGE_SIZE + 1)
            has_next, cases = len(chunk) > PAGE_SIZE, chunk[:PAGE_SIZE]
        elif before:
            value, pk = keyset.decode(before, sort, field, "before")
            back = keyset.seek(found, field, descending, value, pk, backwards=True).reverse()
            cases, has_next = _cases(back, 0, PAGE_SIZE)[::-1], True
        elif number == 1:
            # The first page and the capped count in one go: up to COUNT_CAP + 1 ids, the page their head.
            ids = list(found.values_list("pk", flat=True)[: COUNT_CAP + 1])
            cases, has_next = _by_ids(ids[:PAGE_SIZE]), len(ids) > PAGE_SIZE
            total = len(ids)
        else:
            if number > OFFSET_PAGES:
                raise InvalidData(fields={"page": "too_far"})
            start = (number - 1) * PAGE_SIZE
            chunk = _cases(found, start, start + PAGE_SIZE + 1)
            has_next, cases = len(chunk) > PAGE_SIZE, chunk[:PAGE_SIZE]
    return Page(
        cases=cases,
        number=number,
        has_next=has_next,
        next_cursor=keyset.encode(sort, field, cases[-1]) if by_cursor and has_next and cases else None,
        prev_cursor=keyset.encode(sort, field, cases[0]) if by_cursor and number > 2 and cases else None,
        total=min(total, COUNT_CAP) if total is not None else None,
        capped=total is not None and total > COUNT_CAP,
    )


@contextmanager
def _serial(db):
    """A page's queries without parallel workers (PostgreSQL): on a busy server starting them took
    longer (~100 ms measured under load) than the page itself (a two-character word: 114 → 49 ms)."""
    if connections[db].vendor != "postgresql":
        yield
        return
    with transaction.atomic(using=db), connections[db].cursor() as cursor:
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        yield


def _cases(qs, start: int, stop: int) -> list:
    """Rows start..stop of `qs`: the ids first (the database sorts narrow rows, not every match
    joined to its category, cell, street and reporter), then those few cases with their names."""
    return _by_ids(list(qs.values_list("pk", flat=True)[start:stop]))


def _by_ids(ids: list) -> list:
    found = Case.objects.select_related(*RELATED).in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


class _Request:
    """django-filter reads `request.user`; plain code has only the user."""

    def __init__(self, user):
        self.user = user


def may_query(user) -> bool:
    """综合查询 is for the centre, leaders and department staff (who see their own department's)."""
    return bool(
        roles_of(user)
        & {Role.CALL_TAKER, Role.SUPERVISOR, Role.DISPATCHER, Role.LEADER, Role.ADMIN, Role.DEPARTMENT_STAFF}
    )
