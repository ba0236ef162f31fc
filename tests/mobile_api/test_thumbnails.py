"""Thumbnails are made by the worker, not while the handset waits: until then the thumbnail URL serves
the photo itself (issue 17 point 6)."""

import io

from PIL import Image

from dispatch import photos
from dispatch.management.commands.run_worker import periodic_jobs
from dispatch.models import CasePhoto
from tests.mobile_api.test_cases_api import REPORT, report


def big_jpeg(name="photo.jpg"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    buf = io.BytesIO()
    Image.new("RGB", (1200, 900), (30, 120, 200)).save(buf, "JPEG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


def served(client, url) -> tuple[bytes, str, str]:
    response = client.get(url)
    assert response.status_code == 200
    return b"".join(response.streaming_content), response["Content-Type"], response["Cache-Control"]


def test_a_report_answers_before_its_thumbnail_exists_and_the_worker_makes_it(api, city):
    client = api("inspector1")
    r = report(client, {**REPORT, "photos": [big_jpeg()]}, key="k1", fmt="multipart")
    assert r.status_code == 201, r.content
    (listed,) = r.json()["photos"]
    photo = CasePhoto.objects.get()
    assert not photo.thumbnail and photo.next_attempt_at is not None  # queued for the worker

    # Before the worker: the thumbnail URL serves the full-size photo, not to be kept by the browser.
    content, content_type, cache = served(client, listed["thumbnail_url"])
    with Image.open(io.BytesIO(content)) as img:
        assert img.size == (1200, 900)
    assert content_type == "image/jpeg" and "no-cache" in cache

    for job in periodic_jobs():  # one pass of the Procfile's worker (manage.py run_worker)
        job()

    photo.refresh_from_db()
    assert photo.thumbnail and photo.next_attempt_at is None
    content, content_type, cache = served(client, listed["thumbnail_url"])
    with Image.open(io.BytesIO(content)) as img:
        assert img.format == "JPEG" and max(img.size) == 320
    assert "max-age=86400" in cache
    # The photo's own URL still serves the original.
    content, _type, _cache = served(client, listed["url"])
    with Image.open(io.BytesIO(content)) as img:
        assert img.size == (1200, 900)


def test_each_thumbnail_is_made_once_by_whichever_worker_claims_it(api, city):
    report(api("inspector1"), {**REPORT, "photos": [big_jpeg(), big_jpeg("b.jpg")]}, key="k2", fmt="multipart")
    assert photos.make_due_thumbnails() == 2
    assert photos.make_due_thumbnails() == 0  # nothing left: a second worker finds no due photo
    assert all(p.thumbnail for p in CasePhoto.objects.all())


def test_a_photo_whose_file_is_gone_is_retried_then_left_full_size(api, city):
    report(api("inspector1"), {**REPORT, "photos": [big_jpeg()]}, key="k3", fmt="multipart")
    photo = CasePhoto.objects.get()
    photo.image.storage.delete(photo.image.name)
    assert photos.make_due_thumbnails() == 0
    photo.refresh_from_db()
    assert not photo.thumbnail and photo.attempts == 1
    assert photo.next_attempt_at > photo.created_at  # backed off, not due on the next pass
    CasePhoto.objects.filter(pk=photo.pk).update(attempts=photos.THUMBNAIL_MAX_ATTEMPTS)
    photos._make_thumbnail(CasePhoto.objects.get(pk=photo.pk), photo.created_at)
    photo.refresh_from_db()
    assert photo.next_attempt_at is None and not photo.thumbnail  # given up: the photo is its own thumbnail
