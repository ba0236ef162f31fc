"""Inspectors' GPS positions, in batches (handsets buffer them while walking)."""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from city import coords
from city.models import Role
from city.roles import has_role
from citymgmt.errors import Forbidden, InvalidData
from field import positions

from ..schema import errors
from ..serializers import PositionBatchSerializer, PositionsAcceptedSerializer

CLOCK_SKEW = timedelta(minutes=5)


class PositionsView(APIView):
    @extend_schema(
        request=PositionBatchSerializer,
        responses={202: PositionsAcceptedSerializer, **errors(400, 401, 403)},
        summary="A batch of up to 100 GPS positions from an inspector's handset (and going off duty)",
    )
    def post(self, request):
        if not has_role(request.user, Role.INSPECTOR):
            raise Forbidden(_("只有监督员上报位置。"))
        # A bare list is accepted too: some handset SDKs post the buffer as it is.
        data = {"positions": request.data} if isinstance(request.data, list) else request.data
        body = PositionBatchSerializer(data=data)
        body.is_valid(raise_exception=True)
        crs = body.validated_data["crs"]
        latest_allowed = timezone.now() + CLOCK_SKEW
        points = []
        for i, p in enumerate(body.validated_data["positions"]):
            if p["recorded_at"] > latest_allowed:
                raise InvalidData(_("定位时间不能晚于当前时间。"), fields={f"positions.{i}.recorded_at": "in_future"})
            lng, lat = coords.to_wgs84(p["lng"], p["lat"], crs)
            points.append({**p, "lng": lng, "lat": lat})
        stored = positions.record(request.user, points) if points else 0
        if not body.validated_data["on_duty"]:
            positions.set_duty(request.user, False)  # after the points: the last one stays, off the live map
        return Response({"accepted": len(points), "stored": stored}, status=202)
