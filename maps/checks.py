"""System checks for the base map: `manage.py check` (and `check --deploy`) warn when
MAP_TILES_MBTILES names a file that cannot serve raster tiles, and fail on an unknown
MAP_TILES_CRS."""

from django.conf import settings
from django.core.checks import Error, Warning, register

from city import mbtiles
from city.coords import CRS_CHOICES


@register("maps")
def base_map_settings(app_configs=None, **kwargs):
    problems = []
    if settings.MAP_TILES_MBTILES:
        why = mbtiles.problem(settings.MAP_TILES_MBTILES)
        if why:
            problems.append(
                Warning(
                    why + ": the maps will have no base map.",
                    hint="Set MAP_TILES_MBTILES to the city's .mbtiles file (see README, base maps), or unset it.",
                    id="maps.W001",
                )
            )
    crs = (settings.MAP_TILES_CRS or "").strip().lower().replace("-", "")
    if crs not in CRS_CHOICES:
        problems.append(
            Error(
                f"MAP_TILES_CRS is {settings.MAP_TILES_CRS!r}; it must be one of {', '.join(CRS_CHOICES)}.",
                id="maps.E001",
            )
        )
    return problems
