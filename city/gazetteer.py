"""The gazetteer 地名库: putting a typed or texted address on the map (names, aliases, pinyin
initials for quick typing: \"rml\" → 人民路), and the other way round, an address for a point.

Both directions read an in-memory index of every place (`city.reloadable`, like the grid's),
built on first use and rebuilt when a place changes here or in another process: names with their
pinyin initials computed once, and the places' positions bucketed on a square grid of
`BUCKET_M` metres, searched ring by ring outwards from a point's bucket.
`bench/place_lookup.py` measures it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

from django.db import DEFAULT_DB_ALIAS
from pypinyin import Style, lazy_pinyin

from . import grid, spoken
from .models import Place
from .reloadable import SharedReloadable

NEAR_M = 150.0  # a place farther than this from a point does not name it
BUCKET_M = 50.0  # the index's bucket side
AT_M = 30.0  # closer than this, the point is at the place (its name alone); else "… 附近"
_M_PER_DEG_LAT = 110_540.0
_M_PER_DEG_LNG_EQUATOR = 111_320.0


@dataclass(frozen=True)
class PlaceMatch:
    place: Place
    matched: str  # the name or alias that matched


@dataclass(frozen=True)
class PointDescription:
    """An address for a point: `text` is what a case stores and a person reads."""

    text: str
    place: str = ""  # the gazetteer place named, if any
    distance_m: float | None = None
    cell_code: str = ""
    community: str = ""
    street: str = ""
    district: str = ""


def initials(text: str) -> str:
    return "".join(p[:1] for p in lazy_pinyin(text, style=Style.FIRST_LETTER)).lower()


def _names(place: Place) -> list[str]:
    return [place.name, *[a.strip() for a in place.aliases.split(",") if a.strip()]]


class _Index:
    """An immutable snapshot of the gazetteer. Safe to share between threads."""

    def __init__(self, places: list[Place]):
        self.places = places
        # (place position, name, lowercased name, pinyin initials) for every name and alias.
        self.names = [(k, n, n.lower(), initials(n)) for k, p in enumerate(places) for n in _names(p)]
        lat0 = sum(p.lat for p in places) / len(places) if places else 0.0
        # Degrees to buckets of BUCKET_M metres (local, equirectangular: fine over a city).
        self.kx = _M_PER_DEG_LNG_EQUATOR * math.cos(math.radians(lat0)) / BUCKET_M
        self.ky = _M_PER_DEG_LAT / BUCKET_M
        self.buckets: dict[tuple[int, int], list[tuple[float, float, int]]] = {}
        for k, p in enumerate(places):
            x, y = p.lng * self.kx, p.lat * self.ky
            self.buckets.setdefault((math.floor(x), math.floor(y)), []).append((x, y, k))

    @cached_property
    def sounds(self) -> list[tuple[int, str, str]]:
        """(place position, name, its toneless pinyin) for every name: computed on the first spoken
        report (not at every rebuild: typed lookups never need it)."""
        return [(k, name, spoken.syllables(name)) for k, name, _lower, _initials in self.names]

    def nearest(self, lng: float, lat: float, within_m: float = NEAR_M) -> tuple[Place, float] | None:
        """Ring by ring outwards from the point's bucket; a ring r buckets away is at least r - 1
        buckets away, so the search stops once the best distance is below that."""
        if not self.places or not (math.isfinite(lng) and math.isfinite(lat)):
            return None
        fx, fy = lng * self.kx, lat * self.ky
        bx, by = math.floor(fx), math.floor(fy)
        limit = within_m / BUCKET_M
        best, best_d2 = None, limit * limit  # in bucket units
        places, get = self.places, self.buckets.get
        for r in range(math.ceil(limit) + 1):
            if r > 1 and best is not None and best_d2 <= (r - 1) * (r - 1):
                break
            if r == 0:
                ring = ((bx, by),)
            else:
                ring = [(bx + i, by - r) for i in range(-r, r + 1)] + [(bx + i, by + r) for i in range(-r, r + 1)]
                ring += [(bx - r, by + j) for j in range(-r + 1, r)] + [(bx + r, by + j) for j in range(-r + 1, r)]
            for key in ring:
                for x, y, k in get(key, ()):
                    d2 = (x - fx) * (x - fx) + (y - fy) * (y - fy)
                    if d2 < best_d2 or (d2 == best_d2 and best is not None and places[k].name < places[best].name):
                        best, best_d2 = k, d2
        return None if best is None else (places[best], math.sqrt(best_d2) * BUCKET_M)


def _build(version) -> _Index:
    return _Index(list(Place.objects.order_by("name")))


# Rebuilt when places change here or in another process (see city.reloadable).
shared = SharedReloadable("gazetteer", _build)


def invalidate(using: str = DEFAULT_DB_ALIAS):
    shared.invalidate(using)


def search(query: str, limit: int = 10) -> list[PlaceMatch]:
    """Places whose name or alias contains the query, starts with it in pinyin initials, or
    occurs in it (a resident's sentence naming a place); longest name first."""
    query = (query or "").strip()
    if not query:
        return []
    q = query.lower()
    index = shared.get()
    found = {}
    for k, name, lower, name_initials in index.names:
        if q in lower or name in query or name_initials.startswith(q):
            prior = found.get(k)
            if prior is None or len(name) > len(prior.matched):
                found[k] = PlaceMatch(index.places[k], name)
    return sorted(found.values(), key=lambda m: (-len(m.matched), m.place.name))[:limit]


def best_in_text(text: str) -> PlaceMatch | None:
    """The place a free text names, when it names one unambiguously (the longest name in it)."""
    hits = [m for m in search(text, limit=50) if m.matched in (text or "")]
    if not hits:
        return None
    if len(hits) > 1 and len(hits[0].matched) == len(hits[1].matched):
        return None  # two places as likely: let a call-taker decide
    return hits[0]


def best_in_speech(text: str) -> PlaceMatch | None:
    """The place a recognised sentence names, by sound (speech recognition may write 金玉公园 for
    金鱼公园): the longest name heard, one written with the sentence's own characters first when
    two sound alike; two as likely are left to the call-taker. A sentence nothing in the
    gazetteer sounds like is read as `best_in_text` reads a typed one."""
    if not (text or "").strip():
        return None
    index, heard = shared.get(), spoken.syllables(text)
    hits = {}
    for k, name, sound in index.sounds:
        # Two syllables at least: one sound alone (桥) is in too many sentences to name a place.
        if sound.count(" ") > 2 and sound in heard and len(name) > len(hits.get(k, "")):
            hits[k] = name
    if not hits:
        return best_in_text(text)
    ranked = sorted(hits.items(), key=lambda item: (-len(item[1]), item[1] not in text))
    rank = [(len(name), name in text) for _k, name in ranked[:2]]
    if len(rank) > 1 and rank[0] == rank[1]:
        return None
    return PlaceMatch(index.places[ranked[0][0]], ranked[0][1])


def nearest_place(lng: float, lat: float, within_m: float = NEAR_M) -> tuple[Place, float] | None:
    """The gazetteer place nearest to (lng, lat), WGS-84, and its distance in metres, within `within_m`."""
    return shared.get().nearest(lng, lat, within_m)


def area_text(district: str, street: str, community: str, cell_code: str) -> str:
    """白银区 人民路街道 金鱼社区 (62040200100101): names first, the code last, for a person to read."""
    names = " ".join(n for n in (district, street, community) if n)
    return f"{names} ({cell_code})" if names and cell_code else names or cell_code


def describe_point(lng: float, lat: float) -> PointDescription:
    """An address for a point (WGS-84): the nearest gazetteer place within `NEAR_M` (its name when
    the point is at it, else "人民路 附近"), otherwise the district, street and community names with
    the grid code. Empty text outside the grid with no place near. Addresses are the city's data,
    kept in its language (Chinese), like the place names themselves."""
    cell = grid.locate(lng, lat)
    area = {}
    if cell is not None:
        area = {
            "cell_code": cell.cell_code,
            "community": cell.community_name,
            "street": cell.street_name,
            "district": cell.district_name,
        }
    near = nearest_place(lng, lat)
    if near is not None:
        place, distance = near
        text = place.name if distance <= AT_M else f"{place.name} 附近"
        return PointDescription(text, place.name, round(distance, 1), **area)
    if cell is None:
        return PointDescription("")
    return PointDescription(
        area_text(cell.district_name, cell.street_name, cell.community_name, cell.cell_code), **area
    )
