"""Raster tiles from the city's MBTiles file (MAP_TILES_MBTILES), at /maps/tiles/{z}/{x}/{y}.png.

No login: the public report page draws on the same base map. Revalidated by ETag (a hash of the
tile), so a replaced file shows within the hour; a tile that is not there, a z/x/y outside the
pyramid, no file configured or an unreadable file are all 404, never an error page."""

import logging

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from city import mbtiles

logger = logging.getLogger(__name__)

MAX_AGE_S = 3600


def _matches(header: str, etag: str) -> bool:
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    return "*" in tags or etag in tags


@require_safe
def tile(request, z: int, x: int, y: int):
    if not settings.MAP_TILES_MBTILES:
        raise Http404
    try:
        found = mbtiles.tile(settings.MAP_TILES_MBTILES, z, x, y)
    except mbtiles.Unreadable as exc:
        logger.warning("MAP_TILES_MBTILES unreadable: %s", exc)
        raise Http404 from exc
    if found is None:
        raise Http404
    if _matches(request.headers.get("If-None-Match", ""), found.etag):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(found.data, content_type=found.content_type)
    response["ETag"] = found.etag
    patch_cache_control(response, public=True, max_age=MAX_AGE_S)
    return response
