"""Inspectors' positions: the latest per inspector (Redis GEO, or memory without Redis), a sampled
trail in the database for replay, and a coalesced `inspector.position` event for the boards."""

import json
import logging
import threading
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.utils.dateparse import parse_datetime

from city.coords import distance_m
from dispatch.broadcast import BOARD_GROUP

from .models import PositionSample

logger = logging.getLogger(__name__)

GEO_KEY = "citymgmt:inspectors:geo"
META_KEY = "citymgmt:inspectors:meta"
GEO_MAX_LAT = 85.05112878  # Redis GEO's (web-mercator) limit; ±90 is a valid latitude all the same


@dataclass(frozen=True)
class Position:
    user_id: int
    username: str
    lng: float
    lat: float
    accuracy: float | None
    recorded_at: datetime

    def as_json(self) -> dict:
        d = asdict(self)
        d["recorded_at"] = self.recorded_at.isoformat()
        return d


class MemoryStore:
    """One process's memory: the embedded default (one daphne, in-memory channel layer)."""

    def __init__(self):
        self._latest: dict[int, Position] = {}
        self._lock = threading.Lock()

    def update(self, pos: Position) -> bool:
        with self._lock:
            old = self._latest.get(pos.user_id)
            if old is not None and old.recorded_at >= pos.recorded_at:
                return False
            self._latest[pos.user_id] = pos
            return True

    def latest(self) -> list[Position]:
        with self._lock:
            return sorted(self._latest.values(), key=lambda p: p.user_id)

    def near(self, lng: float, lat: float, radius_m: float) -> list[tuple[Position, float]]:
        found = [(p, distance_m(lng, lat, p.lng, p.lat)) for p in self.latest()]
        return sorted([(p, d) for p, d in found if d <= radius_m], key=lambda pd: pd[1])

    def clear(self):
        with self._lock:
            self._latest.clear()


class RedisStore:
    """Shared by every process: GEOADD for the point (GEOSEARCH finds who is near), a hash for the rest."""

    def __init__(self, url: str):
        import redis

        self.redis = redis.Redis.from_url(url)

    def update(self, pos: Position) -> bool:
        old = self.redis.hget(META_KEY, pos.user_id)
        if old is not None and parse_datetime(json.loads(old)["recorded_at"]) >= pos.recorded_at:
            return False
        pipe = self.redis.pipeline()
        if abs(pos.lat) <= GEO_MAX_LAT:
            pipe.geoadd(GEO_KEY, (pos.lng, pos.lat, pos.user_id))
        else:
            # Redis GEO refuses it (pitfalls.md): the position is kept, only "who is near" misses it.
            pipe.zrem(GEO_KEY, pos.user_id)
        pipe.hset(META_KEY, pos.user_id, json.dumps(pos.as_json()))
        pipe.execute()
        return True

    def latest(self) -> list[Position]:
        return sorted((_from_json(v) for v in self.redis.hvals(META_KEY)), key=lambda p: p.user_id)

    def near(self, lng: float, lat: float, radius_m: float) -> list[tuple[Position, float]]:
        hits = self.redis.geosearch(
            GEO_KEY, longitude=lng, latitude=lat, radius=radius_m, unit="m", withdist=True, sort="ASC"
        )
        if not hits:
            return []
        metas = self.redis.hmget(META_KEY, [member for member, _ in hits])
        return [(_from_json(m), dist) for (_, dist), m in zip(hits, metas, strict=True) if m is not None]

    def clear(self):
        self.redis.delete(GEO_KEY, META_KEY)


def _from_json(raw) -> Position:
    d = json.loads(raw)
    d["recorded_at"] = parse_datetime(d["recorded_at"])
    return Position(**d)


_store = None
_store_lock = threading.Lock()


def store():
    global _store
    with _store_lock:
        if _store is None:
            _store = RedisStore(settings.REDIS_URL) if settings.REDIS_URL else MemoryStore()
        return _store


def record(user, points: list[dict]) -> int:
    """Take a batch of points (already WGS-84, validated): update the latest position, keep a
    sampled trail, tell the boards. Returns how many points went into the trail."""
    points = sorted(points, key=lambda p: p["recorded_at"])
    kept = _sample(user, points)
    if kept:
        PositionSample.objects.bulk_create(
            [
                PositionSample(
                    user=user, lng=p["lng"], lat=p["lat"], accuracy=p.get("accuracy"), recorded_at=p["recorded_at"]
                )
                for p in kept
            ]
        )
        cache.set(_trail_key(user.pk), kept[-1]["recorded_at"].isoformat(), None)
    newest = points[-1]
    pos = Position(user.pk, user.username, newest["lng"], newest["lat"], newest.get("accuracy"), newest["recorded_at"])
    if store().update(pos) and cache.add(f"position-event:{user.pk}", 1, settings.POSITION_EVENT_INTERVAL_S):
        _announce(pos)
    return len(kept)


def _trail_key(user_id) -> str:
    return f"position-trail-last:{user_id}"


def _sample(user, points: list[dict]) -> list[dict]:
    """At most one point per POSITION_TRAIL_SAMPLE_S per inspector: enough to replay a patrol, not a flood."""
    raw = cache.get(_trail_key(user.pk))
    last = parse_datetime(raw) if raw else None
    if last is None:
        last = PositionSample.objects.filter(user=user).order_by("-recorded_at").values_list("recorded_at", flat=True)
        last = last.first()
    kept = []
    for p in points:
        if last is None or p["recorded_at"] - last >= timedelta(seconds=settings.POSITION_TRAIL_SAMPLE_S):
            kept.append(p)
            last = p["recorded_at"]
    return kept


def _announce(pos: Position) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": "event", "kind": "inspector.position", "inspector": pos.as_json()}
    try:
        async_to_sync(layer.group_send)(BOARD_GROUP, {"type": "inspector.position", "message": message})
    except Exception:
        # A missed dot is redrawn by the next one; never fail the upload for it.
        logger.exception("position broadcast failed for %s", pos.username)


def trail(user, since: datetime | None = None, until: datetime | None = None):
    qs = PositionSample.objects.filter(user=user).order_by("recorded_at")
    if since:
        qs = qs.filter(recorded_at__gte=since)
    if until:
        qs = qs.filter(recorded_at__lte=until)
    return qs
