"""Photos are checked by content, limited in size and number, stored, and given a thumbnail by the worker."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from citymgmt.errors import InvalidData, TooLarge, UnsupportedMedia
from dispatch import photos, services
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
    assert not photo.thumbnail  # made by the worker, not in the request
    assert photos.make_due_thumbnails() == 1
    photo.refresh_from_db()
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


# --------------------------------------------------------------------------- issue 13 point 5


@pytest.fixture
def api(city):
    from rest_framework.test import APIClient

    from mobile_api.models import ApiToken

    def client_for(username):
        client = APIClient(raise_request_exception=False)
        client.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.issue(city.user(username))[1]}")
        return client

    return client_for


def truncated_jpeg(name="broken.jpg") -> SimpleUploadedFile:
    """A JPEG cut in the middle of its scan: Image.verify() passes it, decoding fails."""
    buf = io.BytesIO()
    Image.effect_noise((400, 300), 80).convert("RGB").save(buf, "JPEG", quality=90)
    data = buf.getvalue()
    return SimpleUploadedFile(name, data[: len(data) // 2], content_type="image/jpeg")


def huge_png(side=10_900, name="bomb.png") -> SimpleUploadedFile:
    """A small file declaring 10,900 × 10,900 pixels (~119 M: under twice Pillow's limit, so it only warns)."""
    buf = io.BytesIO()
    Image.new("1", (side, side)).save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


@pytest.fixture(scope="module")
def bomb_bytes():
    return huge_png().read()


def post_report(api, files, **extra):
    body = {"category": "E0102", "lng": LNG, "lat": LAT, **extra}
    if files is not None:
        body["photos"] = files
    return api("inspector1").post("/api/v1/cases", body, format="multipart")


def test_a_truncated_jpeg_is_refused_by_name_before_anything_is_saved(city):
    with pytest.raises(UnsupportedMedia) as refused:
        report(city, [jpeg(), truncated_jpeg("broken.jpg")])
    assert "broken.jpg" in refused.value.message
    assert refused.value.fields == {"photos.1": "broken_image"}
    assert Case.objects.count() == 0 and CasePhoto.objects.count() == 0


def test_a_truncated_jpeg_through_the_api_is_a_415_naming_it(city, api):
    r = post_report(api, [truncated_jpeg("IMG_0042.jpg")])
    assert r.status_code == 415, r.content
    error = r.json()["error"]
    assert error["code"] == "unsupported_media" and "IMG_0042.jpg" in error["message"]
    assert Case.objects.count() == 0


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_every_accepted_photo_is_decoded_whole(city, fmt):
    """Truncation is caught for every format, not only JPEG."""
    buf = io.BytesIO()
    Image.effect_noise((300, 200), 80).convert("RGB").save(buf, fmt)
    data = buf.getvalue()
    with pytest.raises(UnsupportedMedia):
        report(city, [SimpleUploadedFile(f"cut.{fmt.lower()}", data[: len(data) * 2 // 3])])
    assert Case.objects.count() == 0


def test_a_decompression_bomb_is_a_413_before_it_is_decoded(city, api, bomb_bytes, monkeypatch):
    decoded = []
    monkeypatch.setattr(Image.Image, "load", lambda self: decoded.append(self.size) or None)
    files = [SimpleUploadedFile(f"bomb-{i}.png", bomb_bytes, content_type="image/png") for i in range(6)]
    r = post_report(api, files)
    assert r.status_code == 413, r.content
    error = r.json()["error"]
    assert error["code"] == "too_large" and "bomb-0.png" in error["message"]
    assert error["fields"] == {"photos.0": "too_many_pixels"}
    assert decoded == []  # refused from the declared size, nothing decoded
    assert Case.objects.count() == 0


@pytest.mark.parametrize("field", ["photo", "photos[]", "file", "image"])
def test_a_photo_under_an_unknown_field_name_is_a_400(city, api, field):
    body = {"category": "E0102", "lng": LNG, "lat": LAT, field: jpeg()}
    r = api("inspector1").post("/api/v1/cases", body, format="multipart")
    assert r.status_code == 400, r.content
    assert field in r.json()["error"]["fields"]
    assert Case.objects.count() == 0


def test_an_action_photo_under_an_unknown_field_name_is_a_400(city, api, make_case):
    case = make_case("dispatched")
    r = api("staff_huanwei").post(
        f"/api/v1/cases/{case.number}/actions/handle", {"note": "done", "picture": jpeg()}, format="multipart"
    )
    assert r.status_code == 400, r.content
    assert "picture" in r.json()["error"]["fields"]
    case.refresh_from_db()
    assert case.state == "dispatched"


def test_a_truncated_photo_on_an_action_is_a_415_and_changes_nothing(city, api, make_case):
    case = make_case("dispatched")
    r = api("staff_huanwei").post(
        f"/api/v1/cases/{case.number}/actions/handle",
        {"note": "done", "photos": [truncated_jpeg()]},
        format="multipart",
    )
    assert r.status_code == 415, r.content
    case.refresh_from_db()
    assert case.state == "dispatched" and not CasePhoto.objects.exists()
