"""The base map every page draws on: the city's tiles and its extent."""

from django.conf import settings
from django.urls import reverse

from .grid import city_extent


def map_config() -> dict:
    return {
        "tiles": settings.MAP_TILES_URL,
        "attribution": settings.MAP_TILES_ATTRIBUTION,
        "extent": city_extent(),
        "grid_url": reverse("maps:grid-geojson"),
    }
