"""MMS photos: fetched by the worker with the account's credentials, never while Twilio waits
for the reply; failures are retried with backoff, a file that is not a photo is given up."""

import logging
from datetime import timedelta

import requests
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from citymgmt import leases
from citymgmt.errors import DomainError
from dispatch import services
from dispatch.photos import MAX_PHOTO_BYTES, MAX_PHOTOS
from dispatch.workflow import HOTLINE

from .models import MediaFetch

logger = logging.getLogger("hotline.media")
MAX_ATTEMPTS = 5
BATCH = 20
LEASE = timedelta(minutes=5)  # a claimed photo is not due again for this long (see outbox.LEASE)


def queue(case, urls: list[str], now=None) -> None:
    now = now or timezone.now()
    MediaFetch.objects.bulk_create([MediaFetch(case=case, url=u, next_attempt_at=now) for u in urls[:MAX_PHOTOS]])


def download(url: str) -> bytes:
    """The media file; Twilio serves it to the account's credentials."""
    auth = (settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)
    with requests.get(url, auth=auth, timeout=15, stream=True) as response:
        response.raise_for_status()
        content = response.raw.read(MAX_PHOTO_BYTES + 1, decode_content=True)
    return content


def fetch_due(now=None) -> int:
    """One pass of the worker: fetch the due photos; returns how many were attached.

    Like the outbox, no transaction is held while Twilio answers: each photo is claimed alone
    (`citymgmt.leases`), fetched, then attached or rescheduled."""
    now = now or timezone.now()
    done = 0
    due = MediaFetch.objects.filter(done=False)
    for pk in leases.claim_due(due, now=now, lease=LEASE, batch=BATCH, done=False):
        done += _fetch_one(MediaFetch.objects.select_related("case").get(pk=pk), now)
    return done


def _fetch_one(item: MediaFetch, now) -> int:
    try:
        content = download(item.url)
        services.record_evidence(
            item.case, role=HOTLINE, note="MMS", photo_files=[SimpleUploadedFile("mms.jpg", content)],
            data={"media_url": item.url},
        )  # fmt: skip
    except DomainError as exc:  # not a photo, too large: retrying cannot help
        MediaFetch.objects.filter(pk=item.pk).update(done=True, last_error=exc.message[:500])
        return 0
    except (requests.RequestException, OSError) as exc:
        MediaFetch.objects.filter(pk=item.pk).update(
            done=item.attempts >= MAX_ATTEMPTS,
            last_error=str(exc)[:500],
            next_attempt_at=now + timedelta(minutes=2**item.attempts),  # 2, 4, 8 … minutes
        )
        logger.warning("MMS fetch %s failed (attempt %d): %s", item.pk, item.attempts, exc)
        return 0
    MediaFetch.objects.filter(pk=item.pk).update(done=True, last_error="")
    return 1
