"""Files Twilio keeps for us, fetched by the worker with the account's credentials, never while
Twilio waits for an answer: MMS photos (attached to the case) and calls' recordings (kept on the
call, played in the app at /hotline/recordings/<case number>). Failures are retried with backoff;
a file that cannot be right (not a photo, not audio, too large) is given up at once; after
MAX_ATTEMPTS the fetch is given up and logged."""

import logging
import uuid
from datetime import timedelta

import requests
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from citymgmt import leases
from citymgmt.errors import DomainError, TooLarge, UnsupportedMedia
from dispatch import services
from dispatch.photos import MAX_PHOTO_BYTES, MAX_PHOTOS
from dispatch.workflow import HOTLINE

from .models import MediaFetch, VoiceCall

logger = logging.getLogger("hotline.media")
MAX_ATTEMPTS = 5
BATCH = 20
LEASE = timedelta(minutes=5)  # a claimed file is not due again for this long (see outbox.LEASE)
# Twilio's MP3 is 32 kbit/s mono: 16 MB is over an hour, far more than a report call.
MAX_RECORDING_BYTES = 16 * 1024 * 1024


def queue(case, urls: list[str], now=None) -> None:
    now = now or timezone.now()
    MediaFetch.objects.bulk_create([MediaFetch(case=case, url=u, next_attempt_at=now) for u in urls[:MAX_PHOTOS]])


def queue_recording(call: VoiceCall, now=None) -> bool:
    """The call's recording, to fetch once it is complete and its case filed (whichever comes
    last calls this). Once per call: a repeated callback finds it queued (a unique row)."""
    if not (call.recording_complete and call.recording_url and call.case_id):
        return False
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction goes on after a duplicate
            MediaFetch.objects.create(
                kind=MediaFetch.Kind.RECORDING, case_id=call.case_id, call=call, url=call.recording_url,
                next_attempt_at=now or timezone.now(),
            )  # fmt: skip
    except IntegrityError:
        return False
    return True


def recording_media_url(url: str) -> str:
    """Twilio's RecordingUrl names the recording; `.mp3` asks for it as MP3 (played by every browser)."""
    return url if url.lower().endswith((".mp3", ".wav")) else url + ".mp3"


def download(url: str, max_bytes: int = MAX_PHOTO_BYTES) -> bytes:
    """The media file (at most max_bytes + 1 read, so a larger one is seen as such); Twilio serves
    it to the account's credentials (requests drops them if Twilio redirects to another host)."""
    auth = (settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)
    with requests.get(url, auth=auth, timeout=15, stream=True) as response:
        response.raise_for_status()
        content = response.raw.read(max_bytes + 1, decode_content=True)
    return content


def looks_like_mp3(content: bytes) -> bool:
    """An ID3 tag or an MPEG audio frame header: what we serve as audio/mpeg is audio."""
    return content[:3] == b"ID3" or (len(content) > 1 and content[0] == 0xFF and content[1] & 0xE0 == 0xE0)


def fetch_due(now=None) -> int:
    """One pass of the worker: fetch the due files; returns how many were kept.

    Like the outbox, no transaction is held while Twilio answers: each file is claimed alone
    (`citymgmt.leases`), fetched, then kept or rescheduled."""
    now = now or timezone.now()
    done = 0
    due = MediaFetch.objects.filter(done=False)
    for pk in leases.claim_due(due, now=now, lease=LEASE, batch=BATCH, done=False):
        done += _fetch_one(MediaFetch.objects.select_related("case", "call").get(pk=pk), now)
    return done


def _fetch_one(item: MediaFetch, now) -> int:
    try:
        if item.kind == MediaFetch.Kind.RECORDING:
            _keep_recording(item, now)
        else:
            _attach_photo(item)
    except DomainError as exc:  # not a photo or not audio, too large: retrying cannot help
        MediaFetch.objects.filter(pk=item.pk).update(done=True, last_error=exc.message[:500])
        logger.error("%s fetch %s given up: %s", item.kind, item.pk, exc.message)
        return 0
    except (requests.RequestException, OSError) as exc:
        given_up = item.attempts >= MAX_ATTEMPTS  # attempts counts this one (claimed)
        MediaFetch.objects.filter(pk=item.pk).update(
            done=given_up,
            last_error=str(exc)[:500],
            next_attempt_at=now + timedelta(minutes=2**item.attempts),  # 2, 4, 8 … minutes
        )
        if given_up:
            logger.error("%s fetch %s given up after %d attempts: %s", item.kind, item.pk, item.attempts, exc)
        else:
            logger.warning("%s fetch %s failed (attempt %d): %s", item.kind, item.pk, item.attempts, exc)
        return 0
    MediaFetch.objects.filter(pk=item.pk).update(done=True, last_error="")
    return 1


def _attach_photo(item: MediaFetch) -> None:
    content = download(item.url)
    services.record_evidence(
        item.case, role=HOTLINE, note="MMS", photo_files=[SimpleUploadedFile("mms.jpg", content)],
        data={"media_url": item.url},
    )  # fmt: skip


def _keep_recording(item: MediaFetch, now) -> None:
    """The call's audio into the media storage (a random name: nothing to guess), then on the call."""
    content = download(recording_media_url(item.url), MAX_RECORDING_BYTES)
    if len(content) > MAX_RECORDING_BYTES:
        raise TooLarge(_("录音超过 %(mb)s MB，未保存。") % {"mb": MAX_RECORDING_BYTES // (1024 * 1024)})
    if not looks_like_mp3(content):
        raise UnsupportedMedia(_("取回的文件不是 MP3 录音。"))
    call = item.call
    call.recording_file.save(f"{uuid.uuid4().hex}.mp3", ContentFile(content), save=False)
    VoiceCall.objects.filter(pk=call.pk).update(recording_file=call.recording_file.name, recording_fetched_at=now)
