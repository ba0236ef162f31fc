"""The handset web page /m/: served, installable, translated; and in headless Chromium, a report
made offline is sent exactly once when the signal returns."""

import io
import json
import time

import pytest
from django.contrib.auth.hashers import make_password
from PIL import Image

from dispatch.models import Case, CasePhoto
from tests.conftest import LAT, LNG
from tests.live import screenshot


def test_page_service_worker_and_manifest(client, db):
    page = client.get("/m/")
    assert page.status_code == 200 and "城管通" in page.content.decode()
    assert 'rel="manifest" href="/m/manifest.webmanifest"' in page.content.decode()
    sw = client.get("/m/sw.js")
    assert sw.status_code == 200 and sw["Content-Type"] == "application/javascript"
    assert sw["Service-Worker-Allowed"] == "/m/"
    body = sw.content.decode()
    assert '"/m/"' in body and "handset.js" in body and 'startsWith("/api/")' in body
    manifest = client.get("/m/manifest.webmanifest")
    assert manifest["Content-Type"] == "application/manifest+json"
    data = json.loads(manifest.content)
    assert data["start_url"] == "/m/" and data["display"] == "standalone"
    assert {i["sizes"] for i in data["icons"]} == {"192x192", "512x512"}
    for icon in data["icons"]:
        assert client.get(icon["src"]).status_code == 200


def test_page_in_english(client, db):
    html = client.get("/m/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in html
    assert "Report" in html and "上报" not in html.split("<main>")[1].split("handset-config")[0]


def login_with_real_hasher(user):
    """The daphne process hashes with production's PBKDF2, not the tests' fast MD5."""
    user.password = make_password("pw-12319-test", hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])


def photo_file(tmp_path):
    path = tmp_path / "scene.jpg"
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 140, 60)).save(buf, "JPEG")
    path.write_bytes(buf.getvalue())
    return str(path)


@pytest.mark.browser
def test_report_made_offline_is_sent_once_when_back_online(live_url, browser, city, tmp_path):
    context = browser.new_context(
        locale="zh-CN", geolocation={"latitude": LAT, "longitude": LNG}, permissions=["geolocation"],
        viewport={"width": 412, "height": 900}, is_mobile=True, has_touch=True,
    )  # fmt: skip
    login_with_real_hasher(city.user("inspector1"))
    page = context.new_page()
    page.goto(f"{live_url}/m/")
    page.fill("input[name=username]", "inspector1")
    page.fill("input[name=password]", "pw-12319-test")
    screenshot(page, "handset-login")
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#app:not([hidden])")
    page.wait_for_selector("#category option[value=E0102]", state="attached")
    page.wait_for_function("document.querySelector('#position').textContent.includes('104.17')")

    context.set_offline(True)
    page.wait_for_selector("#offline-banner:not([hidden])")
    page.select_option("#category", "E0102")
    page.fill("textarea[name=description]", "离线时发现的暴露垃圾")
    page.set_input_files("input[name=photos]", photo_file(tmp_path))
    page.click("#report-form button[type=submit]")
    page.wait_for_function("document.querySelector('#queue-count').textContent === '1'")
    screenshot(page, "handset-report-queued")
    assert Case.objects.count() == 0
    # Offline attempts keep the report: nothing is lost, nothing sent.
    page.evaluate("window.handset.flush()")
    assert page.inner_text("#queue-count") == "1"

    context.set_offline(False)
    # The page sends it on the `online` event; a second, simultaneous send is a retry of the same key.
    page.evaluate("Promise.all([window.handset.sendQueued(), window.handset.sendQueued()])")
    page.wait_for_function("document.querySelector('#queue-count').textContent === '0'", timeout=10000)
    time.sleep(0.5)
    case = Case.objects.get()
    assert case.category.full_code == "E0102" and case.cell.code == "62040200100101"
    assert case.description == "离线时发现的暴露垃圾" and case.reporter.username == "inspector1"
    assert CasePhoto.objects.filter(case=case).count() == 1
    assert case.events.count() == 1
    page.wait_for_function(f"document.querySelector('#report-status').textContent.includes('{case.number}')")
    page.click("[data-tab=tasks]")
    screenshot(page, "handset-tasks")
    context.close()


@pytest.mark.browser
def test_inspector_checks_a_case_from_the_page(live_url, browser, city, make_case, tmp_path):
    case = make_case("checking")
    login_with_real_hasher(city.user("inspector1"))
    context = browser.new_context(
        locale="zh-CN", geolocation={"latitude": LAT, "longitude": LNG}, permissions=["geolocation"]
    )
    page = context.new_page()
    page.goto(f"{live_url}/m/")
    page.fill("input[name=username]", "inspector1")
    page.fill("input[name=password]", "pw-12319-test")
    page.click("#login-form button[type=submit]")
    page.click("[data-tab=tasks]")
    page.click(f"#tasks li[data-number='{case.number}']")
    form = page.locator('#case form[data-action="check"]')
    form.locator("select[name=result]").select_option("passed")
    form.locator("input[name=photos]").set_input_files(photo_file(tmp_path))
    form.locator("button").click()
    form.locator(".ok").wait_for()
    case.refresh_from_db()
    assert case.state == "closed" and case.photos.filter(stage="check").count() == 1
    context.close()
