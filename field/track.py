"""轨迹回放 Track replay: an inspector's trail as GeoJSON, in time order."""

from datetime import date, datetime

from .attendance import day_bounds
from .models import PositionSample


def track_geojson(user, since: datetime, until: datetime) -> dict:
    """The trail points in [since, until) in time order: a FeatureCollection of Points, each with
    its `recorded_at` (RFC 3339) and `accuracy` (metres, or null)."""
    rows = (
        PositionSample.objects.filter(user=user, recorded_at__gte=since, recorded_at__lt=until)
        .order_by("recorded_at", "id")
        .values_list("lng", "lat", "recorded_at", "accuracy")
    )
    return {
        "type": "FeatureCollection",
        "username": user.username,
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lng, lat]},
                "properties": {"recorded_at": at.isoformat(), "accuracy": accuracy},
            }
            for lng, lat, at, accuracy in rows
        ],
    }


def day_track(user, day: date) -> dict:
    start, end = day_bounds(day)
    return {**track_geojson(user, start, end), "date": day.isoformat()}
