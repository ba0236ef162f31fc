"""Inspectors' positions: the latest per inspector (Redis GEO, or memory without Redis), a sampled
trail in the database for replay, and a coalesced `inspector.position` event for the boards.

The trail is the record. While Redis is down, points are still taken and the trail saved; the
latest positions are then read from the trail (`latest()`), and no board event goes out."""

import json
import logging
import threading
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from city.coords import distance_m
from citymgmt import softcache
from dispatch.broadcast import BOARD_GROUP

from .models import PositionSample

logger = logging.getLogger(__name__)

# Without the shared store, the latest positions come from the trail of the last hours (a shift).
TRAIL_FALLBACK = timedelta(hours=8)
GEO_KEY = "citymgmt:inspectors:geo"
META_KEY = "citymgmt:inspectors:meta"
# A position older than this is stale: grey on the maps, not suggested as "nearest".
STALE = timedelta(minutes=10)
GEO_MAX_LAT = 85.05112878  # Redis GEO's (web-mercator) limit; ±90 is a valid latitude all the same


@dataclass(frozen=True)
class Position:
    user_id: int
    username: str
    lng: float
    lat: float
    accuracy: float | None
    recorded_at: datetime
    # 在岗: the handset sends positions only while on duty; going off duty keeps the last point
    # (for the record) but takes the inspector off the live map and out of "who is near".
    on_duty: bool = True

    def as_json(self) -> dict:
        d = asdict(self)
        d["recorded_at"] = self.recorded_at.isoformat()
        return d

    def is_stale(self, now: datetime) -> bool:
        """Older than STALE: drawn grey, never suggested (the inspector may be anywhere by now)."""
        return now - self.recorded_at > STALE


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

    def set_duty(self, user_id: int, on_duty: bool) -> Position | None:
        with self._lock:
            old = self._latest.get(user_id)
            if old is not None and old.on_duty != on_duty:
                self._latest[user_id] = replace(old, on_duty=on_duty)
                return self._latest[user_id]
            return None

    def latest(self) -> list[Position]:
        with self._lock:
            return sorted(self._latest.values(), key=lambda p: p.user_id)

    def near(self, lng: float, lat: float, radius_m: float) -> list[tuple[Position, float]]:
        found = [(p, distance_m(lng, lat, p.lng, p.lat)) for p in self.latest() if p.on_duty]
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
        self._write(pos)
        return True

    def _write(self, pos: Position) -> None:
        pipe = self.redis.pipeline()
        if pos.on_duty and abs(pos.lat) <= GEO_MAX_LAT:
            pipe.geoadd(GEO_KEY, (pos.lng, pos.lat, pos.user_id))
        else:
            # Off duty, or Redis GEO refuses it (pitfalls.md): the position is kept, only "who is
            # near" misses it.
            pipe.zrem(GEO_KEY, pos.user_id)
        pipe.hset(META_KEY, pos.user_id, json.dumps(pos.as_json()))
        pipe.execute()

    def set_duty(self, user_id: int, on_duty: bool) -> Position | None:
        old = self.redis.hget(META_KEY, user_id)
        if old is None:
            return None
        pos = _from_json(old)
        if pos.on_duty == on_duty:
            return None
        pos = replace(pos, on_duty=on_duty)
        self._write(pos)
        return pos

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
        softcache.set(_trail_key(user.pk), kept[-1]["recorded_at"].isoformat(), None)
    newest = points[-1]
    pos = Position(user.pk, user.username, newest["lng"], newest["lat"], newest.get("accuracy"), newest["recorded_at"])
    if _update_store(pos) and softcache.add(f"position-event:{user.pk}", 1, settings.POSITION_EVENT_INTERVAL_S):
        _announce(pos)
    return len(kept)


def set_duty(user, on_duty: bool) -> None:
    """The inspector went on or off duty (the handset's toggle; clock-in / clock-out can call this
    too): the live map and "who is near" follow at once. The trail is untouched."""
    try:
        pos = store().set_duty(user.pk, on_duty)
    except Exception:
        logger.warning("position store unavailable: %s's duty not shared", user.username, exc_info=True)
        return
    if pos is not None:
        _announce(pos)


def _update_store(pos: Position) -> bool:
    try:
        return store().update(pos)
    except Exception:
        # The trail is saved: the upload succeeds, the map reads the trail until Redis is back.
        logger.warning("position store unavailable: %s's latest position not shared", pos.username, exc_info=True)
        return False


def latest() -> list[Position]:
    """Every inspector's latest position: from the shared store, or from the trail when the store
    does not answer."""
    try:
        return store().latest()
    except Exception:
        logger.warning("position store unavailable: latest positions read from the trail", exc_info=True)
        return latest_from_trail()


def latest_from_trail(now: datetime | None = None) -> list[Position]:
    recent = PositionSample.objects.filter(recorded_at__gte=(now or timezone.now()) - TRAIL_FALLBACK)
    newest = list(recent.values("user").annotate(at=Max("recorded_at")).values_list("user", "at"))
    if not newest:
        return []
    matches = Q()
    for user_id, at in newest:
        matches |= Q(user_id=user_id, recorded_at=at)
    samples = recent.filter(matches).select_related("user").order_by("user_id", "-id")
    found = {}
    for s in samples:
        found.setdefault(s.user_id, Position(s.user_id, s.user.username, s.lng, s.lat, s.accuracy, s.recorded_at))
    return list(found.values())


def _trail_key(user_id) -> str:
    return f"position-trail-last:{user_id}"


def _sample(user, points: list[dict]) -> list[dict]:
    """At most one point per POSITION_TRAIL_SAMPLE_S per inspector: enough to replay a patrol, not a flood."""
    raw = softcache.get(_trail_key(user.pk))
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
