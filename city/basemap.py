"""The base map every page draws on: the city's tiles, their coordinate system and its extent.

Three ways, from the settings: none (the grid and the area boundaries give the geography), the
city's own tile service (`MAP_TILES_URL`, e.g. 天地图's WMTS template with `MAP_TILES_KEY`), or
an MBTiles file the app serves itself (`MAP_TILES_MBTILES`, offline; it wins over the URL)."""

import logging

from django.conf import settings
from django.urls import reverse

from . import mbtiles
from .coords import CRS_CHOICES
from .grid import city_extent

logger = logging.getLogger(__name__)


def with_key(url: str, key: str) -> str:
    """`{key}` in a tile template, or an empty `tk=` (天地图's), filled with the key."""
    if not url or not key:
        return url
    if "{key}" in url:
        return url.replace("{key}", key)
    for sep in ("?", "&"):
        if url.endswith(f"{sep}tk="):
            return url + key
        if f"{sep}tk=&" in url:
            return url.replace(f"{sep}tk=&", f"{sep}tk={key}&", 1)
    return url


def display_crs() -> str:
    """The coordinate system the tiles are drawn in: what the pages shift points into for display."""
    crs = (settings.MAP_TILES_CRS or "wgs84").strip().lower().replace("-", "")
    return crs if crs in CRS_CHOICES else "wgs84"


def _int(value, default):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def tiles() -> dict | None:
    """The base layer for Leaflet: {url, attribution, options}, or None when there is none."""
    if settings.MAP_TILES_MBTILES:
        try:
            meta = mbtiles.metadata(settings.MAP_TILES_MBTILES)
        except mbtiles.Unreadable as exc:
            logger.warning("MAP_TILES_MBTILES unreadable, no base map: %s", exc)
            return None
        url = reverse("maps:tile", kwargs={"z": 0, "x": 0, "y": 0}).replace("/0/0/0.png", "/{z}/{x}/{y}.png")
        low, high = _int(meta.get("minzoom"), 0), _int(meta.get("maxzoom"), settings.MAP_TILES_MAX_ZOOM)
        return {
            "url": url,
            "attribution": settings.MAP_TILES_ATTRIBUTION or meta.get("attribution", "") or meta.get("name", ""),
            # Deeper zooms stretch the last level's tiles instead of asking for tiles that are not there.
            "options": {"minNativeZoom": low, "maxNativeZoom": high, "maxZoom": 19},
        }
    if settings.MAP_TILES_URL:
        return {
            "url": with_key(settings.MAP_TILES_URL, settings.MAP_TILES_KEY),
            "attribution": settings.MAP_TILES_ATTRIBUTION,
            "options": {
                "subdomains": settings.MAP_TILES_SUBDOMAINS,
                "maxNativeZoom": settings.MAP_TILES_MAX_ZOOM,
                "maxZoom": 19,
            },
        }
    return None


def labels() -> dict | None:
    """A transparent labels layer over the base map (天地图's cva_w), or None."""
    if not settings.MAP_TILES_LABELS_URL or settings.MAP_TILES_MBTILES:
        return None
    return {
        "url": with_key(settings.MAP_TILES_LABELS_URL, settings.MAP_TILES_KEY),
        "attribution": "",
        "options": {"subdomains": settings.MAP_TILES_SUBDOMAINS, "maxNativeZoom": settings.MAP_TILES_MAX_ZOOM},
    }


def map_config() -> dict:
    base = tiles()
    return {
        "tiles": base["url"] if base else "",
        "attribution": base["attribution"] if base else "",
        "tile_options": base["options"] if base else {},
        "labels": labels(),
        "crs": display_crs(),
        "extent": city_extent(),
        "grid_url": reverse("maps:grid-geojson"),
    }
