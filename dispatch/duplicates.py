"""Possible duplicates: open cases of the same category nearby and recent (never merged automatically)."""

import math
from datetime import timedelta

from city.coords import distance_m

from .models import Case, PossibleDuplicate
from .models.cases import OPEN_STATES, State


def find_candidates(case) -> list[tuple[Case, float]]:
    if case.lng is None or case.lat is None:
        return []
    category = case.category
    radius = category.duplicate_radius_m
    dlat = radius / 111_320
    dlng = radius / (111_320 * max(0.01, math.cos(math.radians(case.lat))))
    nearby = (
        Case.objects.filter(
            category_id=case.category_id,
            state__in=OPEN_STATES - {State.DUPLICATE},
            reported_at__gte=case.reported_at - timedelta(hours=category.duplicate_window_hours),
            lng__range=(case.lng - dlng, case.lng + dlng),
            lat__range=(case.lat - dlat, case.lat + dlat),
        )
        .exclude(pk=case.pk)
        .order_by("-id")[:50]
    )
    found = [(c, distance_m(case.lng, case.lat, c.lng, c.lat)) for c in nearby]
    return sorted([(c, d) for c, d in found if d <= radius], key=lambda cd: cd[1])


def attach_candidates(case) -> list[PossibleDuplicate]:
    return PossibleDuplicate.objects.bulk_create(
        [PossibleDuplicate(case=case, candidate=c, distance_m=round(d, 1)) for c, d in find_candidates(case)]
    )


def reporters_to_tell(case) -> list[Case]:
    """The cases whose reporters hear about `case`: itself and every case merged into it.

    When a master case closes, the hotline tells each of these residents (and handsets tell
    each reporting inspector) using the number they were given.
    """
    return [case, *Case.objects.filter(duplicate_of=case).order_by("id")]
