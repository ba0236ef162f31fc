"""GeoJSON feeds of the grid for the maps and the consoles' small maps."""

import json

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db.models import Max, Min
from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from citymgmt import grid
from citymgmt.models import GridCell
from citymgmt.roles import roles_of

MAX_CELLS = 25_000


def _bbox(value: str):
    """`min_lng,min_lat,max_lng,max_lat`, or None; ValueError when malformed."""
    if not value:
        return None
    parts = [float(p) for p in value.split(",")]
    if len(parts) != 4 or not (parts[0] <= parts[2] and parts[1] <= parts[3]):
        raise ValueError("bbox is min_lng,min_lat,max_lng,max_lat")
    return parts


def city_extent() -> dict | None:
    """The grid's bounding box and centre, for fitting a map to the city."""
    b = GridCell.objects.aggregate(
        min_lng=Min("min_lng"), min_lat=Min("min_lat"), max_lng=Max("max_lng"), max_lat=Max("max_lat")
    )
    if b["min_lng"] is None:
        return None
    return {**b, "center": [(b["min_lat"] + b["max_lat"]) / 2, (b["min_lng"] + b["max_lng"]) / 2]}


@login_required
@require_GET
def grid_geojson(request):
    """Grid cells as a FeatureCollection, optionally within a bbox; cached per grid version."""
    if not roles_of(request.user):
        return JsonResponse({"error": {"code": "forbidden", "message": "staff only", "fields": {}}}, status=403)
    try:
        bbox = _bbox(request.GET.get("bbox", ""))
    except ValueError as exc:
        return JsonResponse(
            {"error": {"code": "invalid", "message": str(exc), "fields": {"bbox": "invalid"}}}, status=400
        )
    key = f"maps:grid:{grid.shared.shared_version()}:{bbox}"
    body = cache.get(key)
    if body is None:
        cells = GridCell.objects.select_related("community").order_by("code")
        if bbox:
            cells = cells.filter(max_lng__gte=bbox[0], min_lng__lte=bbox[2], max_lat__gte=bbox[1], min_lat__lte=bbox[3])
        features = [
            {
                "type": "Feature",
                "geometry": c.geometry,
                "properties": {"code": c.code, "community": c.community.name},
            }
            for c in cells[:MAX_CELLS]
        ]
        body = json.dumps(
            {"type": "FeatureCollection", "features": features}, ensure_ascii=False, separators=(",", ":")
        )
        cache.set(key, body, 3600)
    return HttpResponse(body, content_type="application/geo+json")
