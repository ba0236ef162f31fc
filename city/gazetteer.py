"""Putting a typed or texted address on the map: names and aliases of the gazetteer 地名库, and
pinyin initials for quick typing (\"rml\" → 人民路)."""

from dataclasses import dataclass

from pypinyin import Style, lazy_pinyin

from .models import Place


@dataclass(frozen=True)
class PlaceMatch:
    place: Place
    matched: str  # the name or alias that matched


def initials(text: str) -> str:
    return "".join(p[:1] for p in lazy_pinyin(text, style=Style.FIRST_LETTER)).lower()


def _names(place: Place) -> list[str]:
    return [place.name, *[a.strip() for a in place.aliases.split(",") if a.strip()]]


def search(query: str, limit: int = 10) -> list[PlaceMatch]:
    """Places whose name or alias contains the query, starts with it in pinyin initials, or
    occurs in it (a resident's sentence naming a place); longest name first."""
    query = (query or "").strip()
    if not query:
        return []
    q = query.lower()
    found = {}
    for place in Place.objects.all():
        for name in _names(place):
            if q in name.lower() or name in query or initials(name).startswith(q):
                prior = found.get(place.pk)
                if prior is None or len(name) > len(prior.matched):
                    found[place.pk] = PlaceMatch(place, name)
    return sorted(found.values(), key=lambda m: (-len(m.matched), m.place.name))[:limit]


def best_in_text(text: str) -> PlaceMatch | None:
    """The place a free text names, when it names one unambiguously (the longest name in it)."""
    hits = [m for m in search(text, limit=50) if m.matched in (text or "")]
    if not hits:
        return None
    if len(hits) > 1 and len(hits[0].matched) == len(hits[1].matched):
        return None  # two places as likely: let a call-taker decide
    return hits[0]
