"""GET /api/v1/evaluation/{departments|inspectors|areas|staff}?from=&to=[&level=] (leaders, supervisors)."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from citymgmt.api import errors
from citymgmt.errors import Forbidden, InvalidData, NotFound

from . import periods, tables
from .access import may_see
from .indicators import AREA_LEVELS

RESPONSE = inline_serializer(
    "EvaluationTable",
    {
        "table": serializers.CharField(),
        "from": serializers.DateField(),
        "to": serializers.DateField(),
        "level": serializers.CharField(allow_null=True),
        "rows": serializers.ListField(child=serializers.DictField()),
    },
)


class EvaluationTableView(APIView):
    @extend_schema(
        operation_id="evaluation_table",
        parameters=[
            OpenApiParameter("table", str, OpenApiParameter.PATH, enum=list(tables.COLUMNS)),
            OpenApiParameter("from", OpenApiTypes.DATE, description="YYYY-MM-DD (default: the first of this month)"),
            OpenApiParameter("to", OpenApiTypes.DATE, description="YYYY-MM-DD, inclusive (default: today)"),
            OpenApiParameter("level", str, enum=list(AREA_LEVELS), description="areas only (default street)"),
        ],
        responses={200: RESPONSE, **errors(400, 401, 403, 404)},
        summary="Evaluation figures (综合评价) for a period: counts, rates, score, grade",
    )
    def get(self, request, table):
        if table not in tables.COLUMNS:
            raise NotFound(_("没有这张表：%(t)s") % {"t": table})
        if not may_see(request.user):
            raise Forbidden()
        first, last = periods.from_query(request.query_params, blank_ok=False)
        level = request.query_params.get("level", "street")
        if level not in AREA_LEVELS:
            raise InvalidData(fields={"level": "unknown"})
        rows = tables.compute(table, periods.from_dates(first, last), level)
        return Response(
            {"table": table, "from": first, "to": last, "level": level if table == "areas" else None, "rows": rows}
        )
