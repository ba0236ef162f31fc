"""Case photos: checked by content (Pillow), size-limited, stored with a thumbnail."""

import io
import struct
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageFile, UnidentifiedImageError

from citymgmt.errors import InvalidData, TooLarge, UnsupportedMedia

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTOS = 6
# Decompression bombs: a few hundred KB of PNG can declare 10,900² pixels and take seconds and
# hundreds of MB to decode. The declared size is checked before decoding (Pillow itself only warns
# above MAX_IMAGE_PIXELS and raises above twice it). 50 M is a 50-megapixel phone camera.
MAX_PIXELS = 50_000_000
THUMBNAIL_SIZE = (320, 320)
ALLOWED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


@dataclass(frozen=True)
class CheckedPhoto:
    content: bytes
    content_type: str
    thumbnail: bytes  # JPEG, made while the photo was decoded (each photo is decoded once)


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
        content_type, thumbnail = _decode(content, name, i)
        checked.append(CheckedPhoto(content, content_type, thumbnail))
    return checked


def _name(f, i: int) -> str:
    name = "".join(c for c in str(getattr(f, "name", "") or "") if c.isprintable())[:100]
    return name or f"#{i + 1}"


def _too_large(name: str, i: int) -> TooLarge:
    return TooLarge(_("照片 %(name)s 超过 10 MB。") % {"name": name}, fields={f"photos.{i}": "too_large"})


def _decode(content: bytes, name: str, i: int) -> tuple[str, bytes]:
    """Open, check the declared size, decode the whole image once, and make the thumbnail from it."""
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
            # JPEG decodes at 1/2..1/8 scale directly (several times faster), still reading every byte.
            img.draft("RGB", THUMBNAIL_SIZE)
            # Pillow's LOAD_TRUNCATED_IMAGES is process-wide and libraries turn it on (WeasyPrint's
            # import does): a photo must be whole whatever else this process has loaded.
            ImageFile.LOAD_TRUNCATED_IMAGES = False
            img.load()  # a truncated or corrupt file fails here (Image.verify() accepts a truncated JPEG)
            thumb = img.convert("RGB")
        thumb.thumbnail(THUMBNAIL_SIZE)
        out = io.BytesIO()
        thumb.save(out, "JPEG", quality=80)
    except Image.DecompressionBombError as exc:
        raise _too_many_pixels(name, field) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, struct.error) as exc:
        raise UnsupportedMedia(
            _("照片 %(name)s 不是完整有效的 JPEG、PNG 或 WebP 图片。") % {"name": name}, fields={field: "broken_image"}
        ) from exc
    return content_type, out.getvalue()


def _too_many_pixels(name: str, field: str) -> TooLarge:
    return TooLarge(
        _("照片 %(name)s 的像素过多（最多 %(max)d 百万像素）。") % {"name": name, "max": MAX_PIXELS // 1_000_000},
        fields={field: "too_many_pixels"},
    )


def save_photos(case, checked: list[CheckedPhoto], stage: str) -> list:
    from .models import CasePhoto

    ext = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
    saved = []
    for i, p in enumerate(checked, start=1):
        photo = CasePhoto(case=case, stage=stage, content_type=p.content_type, size=len(p.content))
        photo.image.save(f"{case.number}-{stage}-{i}.{ext[p.content_type]}", ContentFile(p.content), save=False)
        photo.thumbnail.save(f"{case.number}-{stage}-{i}.jpg", ContentFile(p.thumbnail), save=False)
        photo.save()
        saved.append(photo)
    return saved
