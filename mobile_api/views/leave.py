"""请假 from the handset: an inspector files a request and reads their own, with the decision in
words. Thin: the rules are `field.leave`'s."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from field import leave

from ..schema import LEAVE_IDEMPOTENCY_KEY, errors
from ..serializers import LeaveInputSerializer, LeaveSerializer
from .cases import idempotency_key


class LeaveView(APIView):
    @extend_schema(
        responses={200: LeaveSerializer(many=True), **errors(401, 403)},
        operation_id="leave_list",
        summary="My leave requests (请假), newest first, with their status in words",
    )
    def get(self, request):
        leave.require_inspector(request.user)
        return Response(LeaveSerializer(leave.own_requests(request.user), many=True).data)

    @extend_schema(
        request=LeaveInputSerializer,
        parameters=[LEAVE_IDEMPOTENCY_KEY],
        responses={
            201: LeaveSerializer,
            200: OpenApiResponse(LeaveSerializer, description="a retry: the request the first one filed"),
            **errors(400, 401, 403, 409),
        },
        summary="Ask for leave (请假); 400 when it ends before it starts, is longer than 30 days, ended "
        "over 7 days ago or overlaps my pending or approved leave",
    )
    def post(self, request):
        leave.require_inspector(request.user)
        key = idempotency_key(request)
        body = LeaveInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        v = body.validated_data
        filed, created = leave.request_leave(request.user, v["start"], v["end"], v["reason"], client_key=key)
        return Response(LeaveSerializer(filed).data, status=201 if created else 200)
