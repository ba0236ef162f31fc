"""Reference data for handsets: the category tree (with an ETag) and where a point is in the grid."""

import hashlib
import json
from itertools import groupby

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from city import coords, gazetteer, grid
from city.models import Category, TimeLimit
from citymgmt.errors import NotFound

from ..schema import errors
from ..serializers import CategorySerializer, CategoryTreeSerializer, LocateQuerySerializer, LocationSerializer


def category_tree() -> dict:
    categories = (
        Category.objects.filter(active=True)
        .order_by("kind", "major_code", "minor_code")
        .prefetch_related(Prefetch("time_limits", queryset=TimeLimit.objects.order_by("stage", "urgency")))
    )
    kinds = []
    for kind, in_kind in groupby(categories, key=lambda c: c.kind):
        majors = []
        for major, in_major in groupby(in_kind, key=lambda c: c.major_code):
            in_major = list(in_major)
            majors.append(
                {
                    "code": major,
                    "name": in_major[0].major_name,
                    "name_en": in_major[0].major_name_en,
                    "categories": CategorySerializer(in_major, many=True).data,
                }
            )
        kinds.append({"kind": kind, "name": str(Category.Kind(kind).label), "majors": majors})
    return {"kinds": kinds}


class CategoriesView(APIView):
    @extend_schema(
        responses={
            200: CategoryTreeSerializer,
            304: OpenApiResponse(description="unchanged since the ETag in If-None-Match"),
            **errors(401),
        },
        parameters=[OpenApiParameter("If-None-Match", str, OpenApiParameter.HEADER, required=False)],
        summary="The category tree (部件/事件 → 大类 → 小类) with time limits",
    )
    def get(self, request):
        tree = category_tree()
        digest = hashlib.sha256(json.dumps(tree, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        etag = f'"{digest[:32]}"'
        if etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
            response = Response(status=304)
        else:
            response = Response(tree)
        response["ETag"] = etag
        response["Cache-Control"] = "private, no-cache"
        return response


class LocateView(APIView):
    @extend_schema(
        parameters=[LocateQuerySerializer],
        responses={200: LocationSerializer, **errors(400, 401, 404)},
        summary="The grid cell, community, street and district of a point",
    )
    def get(self, request):
        query = LocateQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        lng, lat = coords.to_wgs84(q["lng"], q["lat"], q["crs"])
        info = grid.locate(lng, lat)
        if info is None:
            raise NotFound(_("这个位置不在城市的网格内。"), fields={"lng": "outside_city", "lat": "outside_city"})
        described = gazetteer.describe_point(lng, lat)
        near = {"name": described.place, "distance_m": described.distance_m} if described.place else None
        return Response(
            {
                "address": described.text,
                "place": near,
                "cell": {"code": info.cell_code, "name": info.cell_code},
                "community": {"code": info.community_code, "name": info.community_name},
                "street": {"code": info.street_code, "name": info.street_name},
                "district": {"code": info.district_code, "name": info.district_name},
            }
        )
