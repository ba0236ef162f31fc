"""Case photos: checked by content (Pillow), size-limited, stored; thumbnails made by the worker.

A request only checks and stores a photo. Its thumbnail is made later by the worker
(`make_due_thumbnails`, one pass of `manage.py run_worker`): each photo is claimed alone with a
lease (`citymgmt.leases`), its thumbnail made outside any transaction, and recorded with one
conditional UPDATE. Until then the thumbnail URL serves the full-size photo.
"""

import io
import logging
import struct
from dataclasses import dataclass
from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageFile, UnidentifiedImageError

from citymgmt import leases
from citymgmt.errors import InvalidData, TooLarge, UnsupportedMedia

logger = logging.getLogger("dispatch.photos")

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTOS = 6
# Decompression bombs: a few hundred KB of PNG can declare 10,900² pixels and take seconds and
# hundreds of MB to decode. The declared size is checked before decoding (Pillow itself only warns
# above MAX_IMAGE_PIXELS and raises above twice it). 50 M is a 50-megapixel phone camera.
MAX_PIXELS = 50_000_000
THUMBNAIL_SIZE = (320, 320)
THUMBNAIL_BATCH = 20
THUMBNAIL_LEASE = timedelta(minutes=5)  # a claimed photo is due again after this (its worker died)
THUMBNAIL_MAX_ATTEMPTS = 5  # then the full-size photo stays its thumbnail
ALLOWED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


@dataclass(frozen=True)
class CheckedPhoto:
    content: bytes
    content_type: str


def check_photos(files) -> list[CheckedPhoto]:
    """Read, decode and check every file; returns them checked, or raises before anything is saved.
    A refusal names the photo: its position (`photos.<i>`) and the file name the client gave."""
    files = list(files or [])
    if len(files) > MAX_PHOTOS:
        raise InvalidData(_("最多上传 %(n)d 张照片。") % {"n": MAX_PHOTOS}, fields={"photos": "too_many"})
    checked = []
    for i, f in enumerate(files):
        name = _name(f, i)
        size = getattr(f, "size", None)
        if size is not None and size > MAX_PHOTO_BYTES:
            raise _too_large(name, i)
        content = f.read()
        if len(content) > MAX_PHOTO_BYTES:
            raise _too_large(name, i)
        checked.append(CheckedPhoto(content, _decode(content, name, i)))
    return checked


def _name(f, i: int) -> str:
    name = "".join(c for c in str(getattr(f, "name", "") or "") if c.isprintable())[:100]
    return name or f"#{i + 1}"


def _too_large(name: str, i: int) -> TooLarge:
    return TooLarge(_("照片 %(name)s 超过 10 MB。") % {"name": name}, fields={f"photos.{i}": "too_large"})


def _decode(content: bytes, name: str, i: int) -> str:
    """Open, check the declared size and decode the whole image once; returns its content type."""
    field = f"photos.{i}"
    try:
        with Image.open(io.BytesIO(content)) as img:
            if img.format not in ALLOWED_FORMATS:
                message = _("照片 %(name)s 不是 JPEG、PNG 或 WebP 图片。") % {"name": name}
                raise UnsupportedMedia(message, fields={field: "unsupported_type"})
            width, height = img.size
            if width * height > MAX_PIXELS:
                raise _too_many_pixels(name, field)
            content_type = ALLOWED_FORMATS[img.format]
            # JPEG decodes at 1/8 scale directly (many times faster), still reading every byte: the
            # check needs no pixels, only that the whole file decodes.
            img.draft("RGB", (1, 1))
            # Pillow's LOAD_TRUNCATED_IMAGES is process-wide and libraries turn it on (WeasyPrint's
            # import does): a photo must be whole whatever else this process has loaded.
            ImageFile.LOAD_TRUNCATED_IMAGES = False
            img.load()  # a truncated or corrupt file fails here (Image.verify() accepts a truncated JPEG)
    except Image.DecompressionBombError as exc:
        raise _too_many_pixels(name, field) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, struct.error) as exc:
        raise UnsupportedMedia(
            _("照片 %(name)s 不是完整有效的 JPEG、PNG 或 WebP 图片。") % {"name": name}, fields={field: "broken_image"}
        ) from exc
    return content_type


def _too_many_pixels(name: str, field: str) -> TooLarge:
    return TooLarge(
        _("照片 %(name)s 的像素过多（最多 %(max)d 百万像素）。") % {"name": name, "max": MAX_PIXELS // 1_000_000},
        fields={field: "too_many_pixels"},
    )


def save_photos(case, checked: list[CheckedPhoto], stage: str) -> list:
    """Store the checked photos; their thumbnails are due at once (the worker makes them)."""
    from .models import CasePhoto

    ext = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
    now = timezone.now()
    photos = []
    for i, p in enumerate(checked, start=1):
        photo = CasePhoto(case=case, stage=stage, content_type=p.content_type, size=len(p.content), next_attempt_at=now)
        photo.image.save(f"{case.number}-{stage}-{i}.{ext[p.content_type]}", ContentFile(p.content), save=False)
        photos.append(photo)
    return CasePhoto.objects.bulk_create(photos)  # one INSERT for all of them


# --------------------------------------------------------------------------- thumbnails (the worker)


def thumbnail_bytes(content: bytes) -> bytes:
    """A JPEG at most THUMBNAIL_SIZE, from a photo checked on arrival."""
    with Image.open(io.BytesIO(content)) as img:
        img.draft("RGB", THUMBNAIL_SIZE)  # JPEG: decoded at 1/2..1/8 scale directly
        thumb = img.convert("RGB")
    thumb.thumbnail(THUMBNAIL_SIZE)
    out = io.BytesIO()
    thumb.save(out, "JPEG", quality=80)
    return out.getvalue()


def make_due_thumbnails(now=None) -> int:
    """One pass of the worker: thumbnails for the photos that have none yet; returns how many."""
    from .models import CasePhoto

    now = now or timezone.now()
    made = 0
    waiting = CasePhoto.objects.filter(thumbnail="")
    for pk in leases.claim_due(waiting, now=now, lease=THUMBNAIL_LEASE, batch=THUMBNAIL_BATCH, thumbnail=""):
        made += _make_thumbnail(CasePhoto.objects.get(pk=pk), now)
    return made


def _make_thumbnail(photo, now) -> int:
    """Outside any transaction: read, shrink, store; then record it in one conditional UPDATE."""
    from .models import CasePhoto

    try:
        with photo.image.open("rb") as f:
            content = f.read()
        thumb = thumbnail_bytes(content)
    except (OSError, ValueError, SyntaxError, struct.error, Image.DecompressionBombError) as exc:
        give_up = photo.attempts >= THUMBNAIL_MAX_ATTEMPTS
        next_attempt = None if give_up else now + timedelta(minutes=2**photo.attempts)  # 2, 4, 8 … minutes
        CasePhoto.objects.filter(pk=photo.pk).update(next_attempt_at=next_attempt)
        logger.warning("thumbnail of photo %s failed (attempt %d): %r", photo.pk, photo.attempts, exc)
        return 0
    base = photo.image.name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    name = photo.thumbnail.field.generate_filename(photo, f"{base}.jpg")  # cases/thumbs/YYYY/MM/…
    stored = photo.thumbnail.storage.save(name, ContentFile(thumb))
    if not CasePhoto.objects.filter(pk=photo.pk, thumbnail="").update(thumbnail=stored, next_attempt_at=None):
        photo.thumbnail.storage.delete(stored)  # another worker got there first (after our lease ran out)
        return 0
    return 1
