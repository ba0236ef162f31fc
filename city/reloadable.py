"""A value built from the database and kept in this process, rebuilt when the data changes.

The grid index and the working calendar are read far too often to query each time. In this
process, `invalidate()` drops the value at once (and again when the transaction commits).
Other processes learn of a change through a version number in Django's cache, which they look
at no more than every `check_interval` seconds. The fast path, `get()` within the interval, is
one comparison.
"""

import logging
import threading
import time
from collections.abc import Callable
from itertools import count

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, transaction

log = logging.getLogger(__name__)


class SharedReloadable:
    def __init__(self, name: str, build: Callable, *, check_interval: float = 3.0, key: Callable | None = None):
        """`build(version)` makes the value; `key()`, if given, names anything else the value
        depends on (e.g. the time zone): a different key rebuilds it."""
        self.name = name
        self.cache_key = f"citymgmt:{name}:version"
        self.build = build
        self.check_interval = check_interval
        self.key = key
        self.value = None
        self.next_check = 0.0  # time.monotonic() after which the shared version is looked at again
        self._version = None
        self._built_key = None
        self._lock = threading.Lock()
        self._generations = count(1)
        self._generation = 0  # bumped by drop(); a build started under an older one is not kept

    def get(self):
        value = self.value
        if value is not None and time.monotonic() < self.next_check and self._key_unchanged():
            return value
        return self._refresh()

    def _key_unchanged(self) -> bool:
        return self.key is None or self._built_key == self.key()

    def _refresh(self):
        value = self.value
        if value is not None and self._key_unchanged() and self._version == self.shared_version():
            self.next_check = time.monotonic() + self.check_interval
            return value
        with self._lock:
            value = self.value
            version = self.shared_version()  # read before the data: a change during the build is seen later
            if value is None or not self._key_unchanged() or self._version != version:
                generation = self._generation
                key = self.key() if self.key else None
                value = self.build(version)
                if generation == self._generation:  # no invalidate() while building
                    self.value, self._version, self._built_key = value, version, key
            self.next_check = time.monotonic() + self.check_interval
            return value

    def shared_version(self):
        try:
            return cache.get(self.cache_key)
        except Exception:  # a cache outage must not stop locating points or counting hours
            log.warning("%s: cannot read the version from the cache", self.name, exc_info=True)
            return None

    def bump_version(self) -> None:
        """What `invalidate()` tells other processes."""
        try:
            try:
                cache.incr(self.cache_key)
            except ValueError:  # missing (first change, or evicted): start from a value nobody has seen
                cache.set(self.cache_key, time.time_ns(), timeout=None)
        except Exception:
            log.warning("%s: cannot bump the version in the cache", self.name, exc_info=True)

    def drop(self) -> None:
        self._generation = next(self._generations)
        self.value = None
        self.next_check = 0.0

    def _drop_and_bump(self) -> None:
        self.drop()
        self.bump_version()

    def invalidate(self, using: str = DEFAULT_DB_ALIAS) -> None:
        """The data changed: rebuild on next use, here and (through the cache) elsewhere.

        Inside a transaction this acts now (this process sees its own writes) and once more when
        the transaction commits, so that no process keeps a value built from the data before it.
        """
        self._drop_and_bump()
        connection = connections[using]
        if connection.in_atomic_block:
            pending = getattr(connection, "run_on_commit", [])
            if not any(entry[1] == self._drop_and_bump for entry in pending):
                transaction.on_commit(self._drop_and_bump, using=using)
