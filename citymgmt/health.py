"""Liveness and readiness probes for the load balancer and the Procfile's platform."""

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from .checks import deployment_warnings

logger = logging.getLogger(__name__)


@never_cache
def healthz(request):
    """The process answers: nothing else is checked."""
    return JsonResponse({"status": "ok"})


async def _ping_channel_layer():
    layer = get_channel_layer()
    channel = await layer.new_channel("readyz.")
    await asyncio.wait_for(layer.send(channel, {"type": "readyz.ping"}), timeout=2)
    await asyncio.wait_for(layer.receive(channel), timeout=2)


def _ping_redis():
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    finally:
        client.close()


@never_cache
def readyz(request):
    """The database and the channel layer (and Redis, when configured) answer; 503 otherwise.

    Without Redis the process still saves and answers everything (it is a cache and a channel
    layer, never the record), but live boards get nothing: the load balancer should know."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as exc:  # any failure means not ready
        logger.warning("readyz: database not reachable: %s", exc)
        checks["database"] = "unreachable"
    try:
        async_to_sync(_ping_channel_layer)()
        checks["channel_layer"] = "ok"
    except Exception as exc:
        logger.warning("readyz: channel layer not reachable: %s", exc)
        checks["channel_layer"] = "unreachable"
    if settings.REDIS_URL:
        try:
            _ping_redis()
            checks["redis"] = "ok"
        except Exception as exc:
            logger.warning("readyz: Redis not reachable: %s", exc)
            checks["redis"] = "unreachable"
    ready = all(v == "ok" for v in checks.values())
    body = {"status": "ok" if ready else "unavailable", "checks": checks}
    warnings = deployment_warnings()
    if warnings:  # ready, but not for a second process (an in-memory channel layer)
        body["warnings"] = warnings
    # Not a reason to take the process out of service, but said where operators look.
    missing = _calendar_gaps() if checks["database"] == "ok" else []
    if missing:
        body.setdefault("warnings", {})["calendar"] = {"years_without_schedule": missing}
    return JsonResponse(body, status=200 if ready else 503)


def _calendar_gaps() -> list[int]:
    from city.calendar import years_without_schedule

    try:
        return years_without_schedule()
    except Exception as exc:
        logger.warning("readyz: calendar not readable: %s", exc)
        return []
