"""The handset API's request and response shapes: validated here, documented in the OpenAPI schema."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.fields import empty

from city.privacy import phone_for
from citymgmt.api import BoundedDateTimeField, Rfc3339DateTimeField
from dispatch.models import CaseEvent, State, Urgency
from dispatch.photos import MAX_PHOTOS
from dispatch.services import available_actions, cell_inspector
from dispatch.workflow import ACTIONS, TRANSITIONS

MAX_POSITIONS = 100
CRS_CHOICES = [("wgs84", "WGS-84"), ("gcj02", "GCJ-02")]


class Number(serializers.FloatField):
    """A JSON number: `true`/`false` are refused (Python would read them as 1 and 0)."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class OptionalBoolean(serializers.BooleanField):
    """A boolean that is absent when a multipart form leaves it out (DRF would read False)."""

    default_empty_html = empty


# --------------------------------------------------------------------------- auth


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False)


class UserSerializer(serializers.Serializer):
    username = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    department = serializers.CharField(allow_null=True)
    grids = serializers.ListField(child=serializers.CharField(), help_text=_("负责的单元网格编码"))


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    expires_at = Rfc3339DateTimeField()
    user = UserSerializer()


# --------------------------------------------------------------------------- reference data


class TimeLimitSerializer(serializers.Serializer):
    stage = serializers.CharField()
    urgency = serializers.CharField()
    amount = serializers.IntegerField()
    unit = serializers.CharField()


class CategorySerializer(serializers.Serializer):
    code = serializers.CharField(source="full_code", help_text="C0101 / E0102")
    kind = serializers.CharField()
    major_code = serializers.CharField()
    minor_code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    time_limits = TimeLimitSerializer(many=True)


class MajorGroupSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    categories = CategorySerializer(many=True)


class KindSerializer(serializers.Serializer):
    kind = serializers.CharField()
    name = serializers.CharField()
    majors = MajorGroupSerializer(many=True)


class CategoryTreeSerializer(serializers.Serializer):
    kinds = KindSerializer(many=True)


class AreaSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class LocateQuerySerializer(serializers.Serializer):
    lng = Number(min_value=-180, max_value=180)
    lat = Number(min_value=-90, max_value=90)
    crs = serializers.ChoiceField(choices=CRS_CHOICES, default="wgs84")


class NearPlaceSerializer(serializers.Serializer):
    name = serializers.CharField()
    distance_m = serializers.FloatField()


class LocationSerializer(serializers.Serializer):
    address = serializers.CharField(
        help_text='An address for the point: the nearest gazetteer place within 150 m ("人民路 附近"), '
        "else the district, street and community names with the grid code"
    )
    place = NearPlaceSerializer(allow_null=True, help_text="The gazetteer place the address names, if any")
    cell = AreaSerializer()
    community = AreaSerializer()
    street = AreaSerializer()
    district = AreaSerializer()


# --------------------------------------------------------------------------- cases in


class ReportSerializer(serializers.Serializer):
    category = serializers.CharField(max_length=8, help_text="C0101, E0102, or the code alone")
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    lng = Number(min_value=-180, max_value=180)
    lat = Number(min_value=-90, max_value=90)
    crs = serializers.ChoiceField(choices=CRS_CHOICES, default="wgs84")
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.NORMAL)
    reported_at = BoundedDateTimeField(required=False, help_text=_("手机上的上报时间（离线排队的上报）"))
    self_resolved = OptionalBoolean(required=False, default=False)
    photos = serializers.ListField(
        child=serializers.FileField(), required=False, max_length=MAX_PHOTOS, help_text="JPEG/PNG/WebP, ≤ 10 MB each"
    )


# How long a value of each kind may be, where the workflow table gives no limit of its own.
_KIND_MAX_LENGTH = {"case_number": 24, "user": 150, "department": 32, "category": 8}


def _action_field(name: str, declared: list) -> serializers.Field:
    """One request field for every action that takes `name` (their declarations in the workflow
    table, merged: the widest limits; blank allowed unless every action requires it)."""
    kinds = {f.kind for _action, f in declared}
    if len(kinds) != 1:
        raise ValueError(f"the workflow declares {name!r} with different kinds: {sorted(kinds)}")
    kind = kinds.pop()
    uses = ", ".join(action for action, _f in declared)
    if kind == "choice":
        help_text = "; ".join(f"{action}: {'/'.join(f.values)}" for action, f in declared)
    else:
        help_text = uses
    common = {"required": False, "help_text": help_text}
    if kind in ("number", "longitude", "latitude"):
        mins = [f.min for _a, f in declared]
        maxs = [f.max for _a, f in declared]
        limits = {
            "min_value": None if None in mins else min(mins),
            "max_value": None if None in maxs else max(maxs),
        }
        field_class = serializers.IntegerField if kind == "number" else Number
        return field_class(**limits, **common)
    if kind == "bool":
        return OptionalBoolean(**common)
    if kind == "datetime":
        return serializers.DateTimeField(**common)
    if kind == "choice":
        longest = max(len(str(v)) for _a, f in declared for v in f.values)
        return serializers.CharField(max_length=longest, **common)
    lengths = [f.max for _a, f in declared] if kind == "text" else [_KIND_MAX_LENGTH.get(kind)]
    longest = None if None in lengths else int(max(lengths))
    allow_blank = not all(f.required for _a, f in declared)
    return serializers.CharField(max_length=longest, allow_blank=allow_blank, **common)


def _action_serializer() -> type:
    """Every action's fields, made from the workflow table: a field declared there is accepted
    here. Which ones an action needs is the workflow's rule (400 names the missing)."""
    declared: dict[str, list] = {}
    for action in ACTIONS:
        for f in TRANSITIONS[action].fields:
            declared.setdefault(f.name, []).append((action, f))
    attrs = {name: _action_field(name, fields) for name, fields in declared.items()}
    attrs.update(
        # The handset API's own: the coordinate system of lng/lat, the optimistic check, photos.
        crs=serializers.ChoiceField(choices=CRS_CHOICES, required=False),
        version=serializers.IntegerField(
            min_value=1, required=False, help_text=_("期望的案卷版本：已被他人修改时返回 409")
        ),
        photos=serializers.ListField(child=serializers.FileField(), required=False, max_length=MAX_PHOTOS),
        __doc__=_action_serializer.__doc__,
        __module__=__name__,
    )
    return type("ActionSerializer", (serializers.Serializer,), attrs)


ActionSerializer = _action_serializer()


class CaseListQuerySerializer(serializers.Serializer):
    mine = OptionalBoolean(required=False, default=False)
    state = serializers.MultipleChoiceField(choices=State.choices, required=False)
    updated_since = BoundedDateTimeField(required=False)
    limit = serializers.IntegerField(min_value=1, max_value=200, required=False, help_text="page size")


class PositionSerializer(serializers.Serializer):
    lng = Number(min_value=-180, max_value=180)
    lat = Number(min_value=-90, max_value=90)
    accuracy = Number(min_value=0, max_value=100_000, required=False, allow_null=True)
    recorded_at = BoundedDateTimeField()


class PositionBatchSerializer(serializers.Serializer):
    crs = serializers.ChoiceField(choices=CRS_CHOICES, default="wgs84")
    positions = serializers.ListField(child=PositionSerializer(), min_length=0, max_length=MAX_POSITIONS)
    on_duty = serializers.BooleanField(
        default=True,
        help_text=_("在岗：false 表示监督员下岗（位置保留在轨迹中，但不再显示在实时地图上）；此时 positions 可为空"),
    )

    def validate(self, data):
        if data["on_duty"] and not data["positions"]:
            raise serializers.ValidationError({"positions": _("至少要有一个位置。")})
        return data


class PositionsAcceptedSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()
    stored = serializers.IntegerField(help_text=_("存入轨迹的采样点数"))


# --------------------------------------------------------------------------- cases out


class PhotoSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    stage = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    created_at = Rfc3339DateTimeField()
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    def get_url(self, photo) -> str:
        return reverse("mobile_api:photo", args=[photo.pk])

    def get_thumbnail_url(self, photo) -> str:
        return reverse("mobile_api:photo-thumbnail", args=[photo.pk])


class EventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    action = serializers.CharField()
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    actor = serializers.CharField(source="actor.username", allow_null=True, default=None)
    actor_role = serializers.CharField()
    at = Rfc3339DateTimeField(source="created_at")
    note = serializers.CharField()
    data = serializers.DictField()

    def to_representation(self, event):
        shown = super().to_representation(event)
        # Events written before the city kept recordings carry Twilio's URL: not for handsets.
        shown["data"].pop("recording_url", None)
        return shown


class CaseSerializer(serializers.Serializer):
    number = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField(source="get_state_display")
    category = serializers.CharField(source="category.full_code")
    category_name = serializers.CharField(source="category.name")
    description = serializers.CharField()
    lng = serializers.FloatField(allow_null=True)
    lat = serializers.FloatField(allow_null=True)
    address = serializers.CharField()
    cell = serializers.CharField(source="cell.code", allow_null=True, default=None)
    source = serializers.CharField()
    urgency = serializers.CharField()
    needs_verification = serializers.BooleanField()
    verify_result = serializers.CharField()
    self_resolved = serializers.BooleanField()
    reporter = serializers.CharField(source="reporter.username", allow_null=True, default=None)
    reporter_phone = serializers.SerializerMethodField(help_text=_("市民电话：仅受理员和值班长可见全号"))
    department = serializers.CharField(source="department.code", allow_null=True, default=None)
    suggested_department = serializers.CharField(source="suggested_department.code", allow_null=True, default=None)
    assigned_inspector = serializers.CharField(source="assigned_inspector.username", allow_null=True, default=None)
    duplicate_of = serializers.CharField(source="duplicate_of.number", allow_null=True, default=None)
    light = serializers.CharField()
    stage_started_at = Rfc3339DateTimeField(allow_null=True)
    due_at = Rfc3339DateTimeField(allow_null=True)
    pending_request = serializers.CharField()
    pending_hours = serializers.IntegerField(allow_null=True)
    pending_reason = serializers.CharField()
    rework_count = serializers.IntegerField()
    return_count = serializers.IntegerField()
    postpone_count = serializers.IntegerField()
    reported_at = Rfc3339DateTimeField()
    created_at = Rfc3339DateTimeField()
    updated_at = Rfc3339DateTimeField()
    closed_at = Rfc3339DateTimeField(allow_null=True)
    version = serializers.IntegerField()
    actions = serializers.SerializerMethodField(help_text=_("此人此刻可执行的操作"))

    def get_reporter_phone(self, case) -> str:
        return phone_for(self.context["request"].user, case.reporter_phone)

    def get_actions(self, case) -> list[str]:
        return available_actions(case, self.context["request"].user)


class CaseDetailSerializer(CaseSerializer):
    photos = PhotoSerializer(many=True, source="photos.all")
    timeline = serializers.SerializerMethodField()
    cell_inspector = serializers.SerializerMethodField(help_text=_("负责该网格的监督员（派核实、派核查时预选）"))

    def get_cell_inspector(self, case) -> str | None:
        inspector = cell_inspector(case)
        return inspector.username if inspector else None

    def get_timeline(self, case) -> EventSerializer(many=True):
        if "events" in getattr(case, "_prefetched_objects_cache", {}):
            events = case.events.all()  # a new report: its one event, as report_case wrote it
        else:
            events = CaseEvent.objects.filter(case=case).select_related("actor").order_by("id")
        return EventSerializer(events, many=True).data


class CasePageSerializer(serializers.Serializer):
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = CaseSerializer(many=True)


class TaskSerializer(serializers.Serializer):
    task = serializers.CharField(
        help_text="verify, check, handle, register, dispatch, decide, close, acknowledge, reply_supervision"
    )
    due_at = Rfc3339DateTimeField(allow_null=True)
    light = serializers.CharField()
    case = CaseSerializer()


class TaskListSerializer(serializers.Serializer):
    tasks = TaskSerializer(many=True)


# --------------------------------------------------------------------------- inspectors in the field


class AttendanceSerializer(serializers.Serializer):
    action = serializers.ChoiceField(
        choices=["clock_in", "clock_out"], help_text="clock_in 上班打卡, clock_out 下班打卡"
    )
    lng = Number(min_value=-180, max_value=180)
    lat = Number(min_value=-90, max_value=90)
    crs = serializers.ChoiceField(choices=CRS_CHOICES, default="wgs84")


class ClockEventSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["clock_in", "clock_out"])
    at = serializers.DateTimeField()
    lng = serializers.FloatField()
    lat = serializers.FloatField()
    cell_code = serializers.CharField(allow_blank=True, help_text=_("打卡所在网格，城市网格外为空"))


class DutySerializer(serializers.Serializer):
    on_duty = serializers.BooleanField(help_text=_("今天已上班打卡且尚未下班打卡"))
    last = ClockEventSerializer(allow_null=True, help_text=_("今天最后一次打卡"))


class DayQuerySerializer(serializers.Serializer):
    date = serializers.DateField(required=False, help_text="YYYY-MM-DD, 2000–2099; the city's today when absent")


class TrackPointGeometrySerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["Point"])
    coordinates = serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2)


class TrackPointPropertiesSerializer(serializers.Serializer):
    recorded_at = serializers.DateTimeField()
    accuracy = serializers.FloatField(allow_null=True)


class TrackPointSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["Feature"])
    geometry = TrackPointGeometrySerializer()
    properties = TrackPointPropertiesSerializer()


class TrackSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["FeatureCollection"])
    username = serializers.CharField()
    date = serializers.DateField()
    features = TrackPointSerializer(many=True, help_text=_("轨迹点，按时间顺序"))


class CoverageSerializer(serializers.Serializer):
    username = serializers.CharField()
    date = serializers.DateField()
    cells_assigned = serializers.ListField(child=serializers.CharField(), help_text=_("责任网格的单元网格编码"))
    cells_entered = serializers.ListField(child=serializers.CharField(), help_text=_("轨迹进入过的责任单元网格编码"))
    rate = serializers.FloatField(allow_null=True, help_text=_("覆盖率 = 进入数 ÷ 责任数（0–1）；无责任网格时为空"))
    distance_m = serializers.FloatField(help_text=_("巡查里程（米）"))
    on_duty_minutes = serializers.IntegerField(help_text=_("在岗分钟数（上班打卡到下班打卡）"))
    points = serializers.IntegerField(help_text=_("当天的轨迹点数"))


class LeaveInputSerializer(serializers.Serializer):
    start = BoundedDateTimeField(help_text="开始; a time without an offset is the city's local time")
    end = BoundedDateTimeField(help_text="结束; after start, at most 30 days later")
    reason = serializers.CharField(max_length=200, help_text="事由, required, ≤ 200 characters")


class LeaveSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    start = Rfc3339DateTimeField()
    end = Rfc3339DateTimeField()
    reason = serializers.CharField()
    status = serializers.ChoiceField(choices=["pending", "approved", "rejected"])
    status_label = serializers.CharField(source="get_status_display", help_text=_("状态（用户的语言）"))
    decided_at = Rfc3339DateTimeField(allow_null=True)
    created_at = Rfc3339DateTimeField()
