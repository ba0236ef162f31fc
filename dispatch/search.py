"""综合查询: find any case by number, phone, address, name or description words, with filters.

One filter set (django-filter) serves the query page, its CSV/XLSX exports, the batch PDF and the
handset API's case list, so a query means the same thing at every door. What a person may find
is `access.visible_cases` (department staff: their department's cases only); the reporter's phone
is searched only for the roles that see it in full, and only on the whole number, by index.
"""

import re
from datetime import datetime, time, timedelta

import django_filters as filters
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from city.models import Category, Department, Role
from city.privacy import PHONE_ROLES
from city.roles import roles_of
from citymgmt.errors import Forbidden, InvalidData
from citymgmt.query import EARLIEST_DAY, LATEST_DAY

from .access import visible_cases
from .models import Case, CaseEvent, Light, Source, State, Urgency
from .models.cases import FINAL_STATES

# Dates outside these years are typing errors, and their arithmetic would overflow at the ends.
FIRST_DAY, LAST_DAY = EARLIEST_DAY, LATEST_DAY  # citymgmt.query: the one set of bounds
NUMBER_RE = re.compile(r"^[A-Za-z]?\d{4,}$")
PHONE_RE = re.compile(r"^\+?[\d\s-]{7,20}$")

# Sortable columns: the `sort` parameter's names → model fields (prefix "-" for descending).
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
    state = filters.MultipleChoiceFilter(choices=State.choices, label=_("状态"))
    category = filters.CharFilter(method="filter_category", label=_("类别"), max_length=16)
    source = filters.MultipleChoiceFilter(choices=Source.choices, label=_("来源"))
    source_label = filters.CharFilter(field_name="source_label", label=_("来源系统"), max_length=32)
    department = filters.ModelChoiceFilter(queryset=Department.objects.all(), to_field_name="code", label=_("处置部门"))
    street = filters.CharFilter(field_name="cell__community__street__code", label=_("街道"), max_length=9)
    community = filters.CharFilter(field_name="cell__community__code", label=_("社区"), max_length=12)
    light = filters.MultipleChoiceFilter(choices=[c for c in Light.choices if c[0]], label=_("警示灯"))
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
        value = value.strip()
        if not value:
            return qs
        rule = Q(address__icontains=value) | Q(description__icontains=value) | Q(reporter_name=value)
        if NUMBER_RE.match(value):
            rule |= Q(number__icontains=value) if len(value) < 17 else Q(number=value.upper())
        if PHONE_RE.match(value) and may_search_phone(self.request.user):
            rule |= Q(reporter_phone__in=phone_forms(value))
        return qs.filter(rule)

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
    qs = qs.select_related("category", "department", "cell__community__street", "reporter")
    return qs.order_by(*ordering(sort))


def ordering(sort: str | None) -> list[str]:
    if not sort:
        return ["-id"]
    field = SORTS.get(sort.lstrip("-"))
    if field is None:
        raise InvalidData(fields={"sort": "unknown"})
    return [("-" if sort.startswith("-") else "") + field, "-id"]


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
