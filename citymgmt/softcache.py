"""Use the cache if it answers.

Redis is a cache and a channel layer here, never the record: while it is down, reports, actions,
logins and positions are still saved and answered. Every read falls back to the database or a
fresh computation, every write is skipped, and rate limits that count in the cache fail open.
These functions are Django's cache calls that never raise: a failure is logged (once every
`WARN_EVERY_S` seconds, not once per request) and answered with "not there".
"""

import logging
import time
from collections.abc import Callable
from typing import Any

from django.core.cache import cache

logger = logging.getLogger("citymgmt.cache")

WARN_EVERY_S = 10.0
_last_warning = 0.0


def _unavailable(operation: str, key, exc: Exception) -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= WARN_EVERY_S:
        _last_warning = now
        logger.warning("cache unavailable (%s %s), going on without it: %r", operation, key, exc)


def get(key: str, default=None):
    try:
        return cache.get(key, default)
    except Exception as exc:
        _unavailable("get", key, exc)
        return default


def get_many(keys: list[str]) -> dict:
    try:
        return cache.get_many(keys)
    except Exception as exc:
        _unavailable("get_many", keys[:1], exc)
        return {}


def set(key: str, value, timeout=None) -> bool:
    try:
        cache.set(key, value, timeout)
        return True
    except Exception as exc:
        _unavailable("set", key, exc)
        return False


def add(key: str, value, timeout=None) -> bool | None:
    """True: added; False: the key was there; None: the cache did not answer."""
    try:
        return cache.add(key, value, timeout)
    except Exception as exc:
        _unavailable("add", key, exc)
        return None


def incr(key: str) -> int | None:
    """The new value; None when the key is missing or the cache did not answer."""
    try:
        return cache.incr(key)
    except ValueError:
        return None
    except Exception as exc:
        _unavailable("incr", key, exc)
        return None


def delete(key: str) -> None:
    try:
        cache.delete(key)
    except Exception as exc:
        _unavailable("delete", key, exc)


def get_or_build(key: str, build: Callable[[], Any], timeout=None):
    """The cached value, or `build()` (stored for next time if the cache answers). `build` must
    not return None (None means "not cached")."""
    value = get(key)
    if value is None:
        value = build()
        set(key, value, timeout)
    return value
