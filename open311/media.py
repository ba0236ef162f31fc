"""`media_url` photos: fetched by the worker after the answer went out (never while the client
waits), claimed with a lease (`citymgmt.leases`), retried with backoff; a file that is not a
photo is given up. Only public addresses are fetched unless OPEN311_MEDIA_ALLOW_PRIVATE is set
(a request must not make us read our own network)."""

import ipaddress
import logging
import socket
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from citymgmt import leases
from citymgmt.errors import DomainError
from dispatch import services
from dispatch.photos import MAX_PHOTO_BYTES, MAX_PHOTOS
from dispatch.workflow import OPEN311

from .models import MediaFetch

logger = logging.getLogger("open311.media")
MAX_ATTEMPTS = 5
BATCH = 20
LEASE = timedelta(minutes=5)


class NotAllowed(Exception):
    pass


def queue(case, urls: list[str], now=None) -> None:
    now = now or timezone.now()
    MediaFetch.objects.bulk_create([MediaFetch(case=case, url=u, next_attempt_at=now) for u in urls[:MAX_PHOTOS]])


def _check_host(url: str) -> None:
    if settings.OPEN311_MEDIA_ALLOW_PRIVATE:
        return
    host = urlsplit(url).hostname or ""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError as exc:
        raise requests.ConnectionError(str(exc)) from exc
    if not addresses or any(not ipaddress.ip_address(a.split("%")[0]).is_global for a in addresses):
        raise NotAllowed(f"{host} is not a public address")


def download(url: str) -> bytes:
    _check_host(url)
    with requests.get(url, timeout=15, stream=True, allow_redirects=False) as response:
        response.raise_for_status()
        return response.raw.read(MAX_PHOTO_BYTES + 1, decode_content=True)


def fetch_due(now=None) -> int:
    """One pass of the worker: fetch the due photos; returns how many were attached."""
    now = now or timezone.now()
    done = 0
    for pk in leases.claim_due(MediaFetch.objects.filter(done=False), now=now, lease=LEASE, batch=BATCH, done=False):
        done += _fetch_one(MediaFetch.objects.select_related("case").get(pk=pk), now)
    return done


def _fetch_one(item: MediaFetch, now) -> int:
    try:
        content = download(item.url)
        services.record_evidence(
            item.case, role=OPEN311, note="media_url", photo_files=[SimpleUploadedFile("media.jpg", content)],
            data={"media_url": item.url},
        )  # fmt: skip
    except (DomainError, NotAllowed) as exc:  # not a photo, too large, not allowed: retrying cannot help
        MediaFetch.objects.filter(pk=item.pk).update(done=True, last_error=str(exc)[:500])
        return 0
    except (requests.RequestException, OSError) as exc:
        MediaFetch.objects.filter(pk=item.pk).update(
            done=item.attempts >= MAX_ATTEMPTS,
            last_error=str(exc)[:500],
            next_attempt_at=now + timedelta(minutes=2**item.attempts),
        )
        logger.warning("media_url fetch %s failed (attempt %d): %s", item.pk, item.attempts, exc)
        return 0
    MediaFetch.objects.filter(pk=item.pk).update(done=True, last_error="")
    return 1
