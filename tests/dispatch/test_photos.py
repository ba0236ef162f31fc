"""Photos are checked by content, limited in size and number, and stored with a thumbnail."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from citymgmt.errors import InvalidData, TooLarge, UnsupportedMedia
from dispatch import services
from dispatch.models import Case, CasePhoto
from dispatch.photos import MAX_PHOTO_BYTES
from tests.conftest import LAT, LNG, jpeg


def image_file(fmt, name):
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (0, 120, 0)).save(buf, fmt)
    return SimpleUploadedFile(name, buf.getvalue())


def report(city, files):
    return services.report_case(
        actor=city.user("inspector1"), source="inspector", category="E0102", lng=LNG, lat=LAT, photo_files=files
    )


@pytest.mark.parametrize(
    ("fmt", "content_type"), [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")]
)
def test_accepted_formats_get_a_jpeg_thumbnail(city, fmt, content_type):
    case, _ = report(city, [image_file(fmt, "x.bin")])  # the name says nothing: the content decides
    photo = CasePhoto.objects.get(case=case)
    assert photo.content_type == content_type and photo.stage == "report"
    with Image.open(photo.thumbnail.path) as thumb:
        assert thumb.format == "JPEG" and max(thumb.size) <= 320


def test_a_fake_image_is_refused_and_nothing_is_saved(city):
    fake = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00 this is an executable, not a photo", content_type="image/jpeg")
    with pytest.raises(UnsupportedMedia):
        report(city, [jpeg(), fake])
    assert Case.objects.count() == 0 and CasePhoto.objects.count() == 0


def test_a_gif_is_refused(city):
    with pytest.raises(UnsupportedMedia):
        report(city, [image_file("GIF", "a.gif")])


def test_oversized_and_too_many(city):
    big = SimpleUploadedFile("big.jpg", b"\xff\xd8" + b"0" * MAX_PHOTO_BYTES, content_type="image/jpeg")
    with pytest.raises(TooLarge):
        report(city, [big])
    with pytest.raises(InvalidData):
        report(city, [jpeg() for _ in range(7)])
    assert Case.objects.count() == 0
