"""MMS photos: fetched by the worker with the account's credentials, never while Twilio waits
for the reply; failures are retried with backoff, a file that is not a photo is given up."""

import logging
from datetime import timedelta

import requests
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from citymgmt.errors import DomainError
from dispatch import services
from dispatch.photos import MAX_PHOTO_BYTES, MAX_PHOTOS
from dispatch.workflow import HOTLINE

from .models import MediaFetch

logger = logging.getLogger("hotline.media")
MAX_ATTEMPTS = 5


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
    now = now or timezone.now()
    done = 0
    for item in MediaFetch.objects.filter(done=False, next_attempt_at__lte=now).select_related("case")[:20]:
        item.attempts += 1
        try:
            content = download(item.url)
            services.record_evidence(
                item.case, role=HOTLINE, note="MMS", photo_files=[SimpleUploadedFile("mms.jpg", content)],
                data={"media_url": item.url},
            )  # fmt: skip
            item.done = True
            done += 1
        except DomainError as exc:  # not a photo, too large: retrying cannot help
            item.done, item.last_error = True, exc.message[:500]
        except requests.RequestException as exc:
            item.last_error = str(exc)[:500]
            item.done = item.attempts >= MAX_ATTEMPTS
            item.next_attempt_at = now + timedelta(minutes=2**item.attempts)
            logger.warning("MMS fetch %s failed (attempt %d): %s", item.pk, item.attempts, exc)
        item.save(update_fields=["attempts", "done", "last_error", "next_attempt_at"])
    return done
