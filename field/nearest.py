"""Who is nearest a case, now (就近派核实/核查): the on-duty inspectors with a fresh position,
nearest first, with their distance in metres.

The shared store answers (Redis GEOSEARCH, or this process's memory in the embedded default);
when Redis does not answer, the trail in the database does (Redis is never the record)."""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

from city.coords import distance_m
from city.models import Role

from . import positions

logger = logging.getLogger(__name__)

# Farther than this is not "near": a supervisor would rather send the cell's own inspector.
RADIUS_M = 5000
LIMIT = 3


@dataclass(frozen=True)
class Nearby:
    username: str
    distance_m: int
    recorded_at: datetime


def nearest_inspectors(
    lng: float, lat: float, *, now: datetime | None = None, limit: int = LIMIT, radius_m: float = RADIUS_M
) -> list[Nearby]:
    """The on-duty inspectors nearest (lng, lat) whose position is not stale, nearest first."""
    now = now or timezone.now()
    try:
        found = positions.store().near(lng, lat, radius_m)
    except Exception:
        logger.warning("position store unavailable: nearest inspectors read from the trail", exc_info=True)
        found = [(p, distance_m(lng, lat, p.lng, p.lat)) for p in positions.latest_from_trail(now)]
        found = sorted([(p, d) for p, d in found if d <= radius_m], key=lambda pd: pd[1])
    found = [(p, d) for p, d in found if p.on_duty and not p.is_stale(now)]
    # The store may still hold someone who has since left (deactivated) or changed role: only
    # active inspectors, as the database knows them now, are suggested.
    current = set(
        get_user_model()
        .objects.filter(pk__in=[p.user_id for p, _ in found], is_active=True, groups__name=Role.INSPECTOR)
        .values_list("pk", "username")
    )
    near = [Nearby(p.username, round(d), p.recorded_at) for p, d in found if (p.user_id, p.username) in current]
    return near[:limit]
