"""Password guessing: count failed logins per username and per address; over the limit → 429.

The counts live in the cache: while it does not answer, the limit fails open (logins go on, a
log line says the guard is off) rather than refusing every login."""

import hashlib
import logging

from django.conf import settings
from django.utils.translation import gettext as _

from citymgmt import softcache
from citymgmt.errors import Throttled

logger = logging.getLogger("mobile_api.auth")

WINDOW_S = getattr(settings, "LOGIN_FAILURE_WINDOW_S", 15 * 60)
LIMIT_PER_USERNAME = getattr(settings, "LOGIN_FAILURES_PER_USERNAME", 5)
LIMIT_PER_ADDRESS = getattr(settings, "LOGIN_FAILURES_PER_ADDRESS", 20)


def _key(kind: str, value: str) -> str:
    return f"login-fail:{kind}:{hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]}"


def check(username: str, address: str) -> None:
    """Refuse before checking the password, so a throttled guess learns nothing."""
    counts = softcache.get_many([_key("user", username), _key("addr", address)])
    if (
        counts.get(_key("user", username), 0) >= LIMIT_PER_USERNAME
        or counts.get(_key("addr", address), 0) >= LIMIT_PER_ADDRESS
    ):
        logger.warning("login throttled: username=%r address=%s", username[:150], address)
        raise Throttled(_("登录失败次数过多，请 %(m)d 分钟后再试。") % {"m": WINDOW_S // 60}, retry_after=WINDOW_S)


def record_failure(username: str, address: str) -> None:
    for key in (_key("user", username), _key("addr", address)):
        # add() starts the window; incr() is atomic in Redis and in the local-memory cache.
        if softcache.add(key, 1, WINDOW_S) is False and softcache.incr(key) is None:
            softcache.add(key, 1, WINDOW_S)  # expired between the two
    logger.warning("login failed: username=%r address=%s", username[:150], address)


def record_success(username: str) -> None:
    softcache.delete(_key("user", username))
