"""API clients: who is calling (the key, kept only as its hash) and how often they may post."""

import logging

from django.core.cache import cache
from django.utils.translation import gettext as _

from citymgmt.errors import Forbidden, Throttled

from .models import ApiClient, hash_key

logger = logging.getLogger("open311.clients")
WINDOW_S = 60
BUILT_IN = "public-report-page"  # the client the public report page files through


def client_for_key(key: str | None, *, post=False, read=False) -> ApiClient:
    key = (key or "").strip()
    if not key or len(key) > 200:
        raise Forbidden(_("需要有效的 api_key。"))
    client = ApiClient.objects.filter(key_hash=hash_key(key), active=True).first()
    if client is None:
        raise Forbidden(_("需要有效的 api_key。"))
    if (post and not client.can_post) or (read and not client.can_read):
        raise Forbidden(_("此接入系统没有这项权限。"))
    return client


def built_in_client() -> ApiClient:
    """The public report page's own client (created on first use; its key is never shown)."""
    client = ApiClient.objects.filter(name=BUILT_IN).first()
    if client is None:
        client = ApiClient(name=BUILT_IN, source_label="web", rate_limit_per_minute=600)
        client.new_key()
        client.save()
    return client


def count(bucket: str, limit: int) -> None:
    """One more request in this minute's bucket; over `limit` → 429. A cache that does not answer
    lets the request through (Redis is never the record; a write must not fail with it)."""
    key = f"open311-rate:{bucket}"
    try:
        if cache.add(key, 1, WINDOW_S):
            used = 1
        else:
            try:
                used = cache.incr(key)
            except ValueError:
                cache.add(key, 1, WINDOW_S)
                used = 1
    except Exception:
        logger.warning("rate limit not counted: cache unavailable")
        return
    if used > limit:
        raise Throttled(retry_after=WINDOW_S)


def count_post(client: ApiClient) -> None:
    count(f"client:{client.pk}", client.rate_limit_per_minute)
