"""Inspectors in the field: clocking in and out (考勤), a day's trail (轨迹) and coverage (巡查覆盖)."""

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from city import coords
from city.models import Role
from city.roles import has_role
from citymgmt.errors import Forbidden, InvalidData, NotFound
from citymgmt.query import parse_day
from field import access, attendance, coverage, track

from ..schema import errors
from ..serializers import AttendanceSerializer, CoverageSerializer, DayQuerySerializer, DutySerializer, TrackSerializer


def _duty(user) -> dict:
    last = attendance.last_clock_today(user, timezone.now())
    clock = None
    if last is not None:
        clock = {"action": last.action, "at": last.at, "lng": last.lng, "lat": last.lat, "cell_code": last.cell_code}
    return {"on_duty": last is not None and last.action == "clock_in", "last": clock}


class AttendanceView(APIView):
    def _inspector(self, request):
        if not has_role(request.user, Role.INSPECTOR):
            raise Forbidden(_("只有监督员打卡。"))

    @extend_schema(
        responses={200: DutySerializer, **errors(401, 403)}, summary="Whether I am on duty (clocked in) today"
    )
    def get(self, request):
        self._inspector(request)
        return Response(DutySerializer(_duty(request.user)).data)

    @extend_schema(
        request=AttendanceSerializer,
        responses={201: DutySerializer, **errors(400, 401, 403)},
        summary="Clock in or out (考勤打卡) where I stand; 400 when already on duty or not on duty",
    )
    def post(self, request):
        self._inspector(request)
        body = AttendanceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        v = body.validated_data
        lng, lat = coords.to_wgs84(v["lng"], v["lat"], v["crs"])
        attendance.clock(request.user, v["action"], lng, lat)
        return Response(DutySerializer(_duty(request.user)).data, status=201)


def _inspector_and_day(request, username):
    """The inspector asked about (themselves, or anyone for supervisors and leaders) and the day."""
    if not access.may_see_trail_of(request.user, username):
        raise Forbidden(_("监督员只能查看自己的轨迹和覆盖。"))
    raw = request.query_params.get("date")
    day = timezone.localdate()
    if raw is not None:
        day, error = parse_day(raw)
        if error:
            raise InvalidData(_("日期须为 YYYY-MM-DD，且在 2000 至 2099 年之间。"), fields={"date": error})
    if "\x00" in username:  # PostgreSQL refuses NUL in text: no such user either way
        raise NotFound(_("没有这个监督员。"))
    user = get_user_model().objects.filter(username=username, groups__name=Role.INSPECTOR).first()
    if user is None:
        raise NotFound(_("没有这个监督员。"))
    return user, day


class TrackView(APIView):
    @extend_schema(
        parameters=[DayQuerySerializer],
        responses={200: TrackSerializer, **errors(400, 401, 403, 404)},
        summary="An inspector's trail on a day, in time order (GeoJSON points)",
    )
    def get(self, request, username):
        user, day = _inspector_and_day(request, username)
        return Response(track.day_track(user, day))


class CoverageView(APIView):
    @extend_schema(
        parameters=[DayQuerySerializer],
        responses={200: CoverageSerializer, **errors(400, 401, 403, 404)},
        summary="An inspector's patrol coverage on a day: cells of their grid entered, distance, minutes on duty",
    )
    def get(self, request, username):
        user, day = _inspector_and_day(request, username)
        return Response(coverage.coverage_of(user, day).as_json())
