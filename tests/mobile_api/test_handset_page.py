"""The handset web page /m/: served, installable, translated; and in headless Chromium, a report
made offline is sent exactly once when the signal returns."""

import io
import json
import re

import pytest
import requests
from django.contrib.auth.hashers import make_password
from PIL import Image
from playwright.sync_api import expect

from dispatch.models import Case, CasePhoto
from mobile_api.models import ApiToken
from tests.conftest import LAT, LNG
from tests.live import screenshot

CJK = re.compile(r"[\u4e00-\u9fff]")


def config_of(html: str) -> dict:
    return json.loads(html.split('<script id="handset-config" type="application/json">')[1].split("</script>")[0])


def test_page_service_worker_and_manifest(client, db):
    page = client.get("/m/")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    html = page.content.decode()
    assert "城管通" in html and 'rel="manifest" href="/m/manifest.webmanifest"' in html
    assert 'capture="environment"' in html and 'accept="image/*"' in html
    # An ordinary Django page: the usual security headers, no login needed (the token does that).
    assert page["X-Frame-Options"] == "DENY" and page["X-Content-Type-Options"] == "nosniff"

    sw = client.get("/m/sw.js")
    assert sw.status_code == 200 and sw["Content-Type"] == "application/javascript"
    assert sw["Service-Worker-Allowed"] == "/m/" and "no-cache" in sw["Cache-Control"]
    body = sw.content.decode()
    shell = json.loads(body.split("const SHELL = ")[1].split(";\n")[0])
    assert {"/m/", "/m/manifest.webmanifest"} <= set(shell)
    files = {name.rsplit("/", 1)[1] for name in shell[2:]}
    assert files == {"handset.js", "attendance.js", "leave.js", "handset.css", "icon-192.png", "icon-512.png"}
    for url in shell:
        assert client.get(url).status_code == 200, url
    assert 'url.pathname.startsWith("/api/")' in body  # the API is never cached

    manifest = client.get("/m/manifest.webmanifest")
    assert manifest.status_code == 200 and manifest["Content-Type"] == "application/manifest+json"
    data = json.loads(manifest.content)
    assert data["start_url"] == data["scope"] == "/m/" and data["display"] == "standalone"
    assert data["name"] == "城管通"
    assert {i["sizes"] for i in data["icons"]} == {"192x192", "512x512"}
    for icon in data["icons"]:
        response = client.get(icon["src"])
        assert response.status_code == 200
        image = Image.open(io.BytesIO(b"".join(response.streaming_content)))
        assert f"{image.width}x{image.height}" == icon["sizes"]


def test_page_in_chinese(client, db):
    html = client.get("/m/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert '<html lang="zh-hans">' in html
    for text in ["登录", "上报", "待办", "待发送", "搜索名称或代码", "离线：上报会先存在手机上，有信号后自动发送。"]:
        assert text in html
    config = config_of(html)
    assert config["lang"] == "zh-hans" and config["max_photos"] == 6
    assert config["strings"]["queued"] == "已存入待发送队列"
    assert config["workflow"]["transitions"]["verify"]["fields"][0]["choices"][0] == ["exists", "属实"]
    assert config["actions"]["verify"] and config["states"]["closed"]


def test_page_in_english(client, db):
    html = client.get("/m/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in html
    for text in ["Sign in", "Report", "Tasks", "To send", "Search name or code", "Offline: reports are kept"]:
        assert text in html
    # Every word of the page's markup and of its script's dictionary is translated.
    markup = html.split("<body>")[1].split('<script id="handset-config"')[0]
    markup = re.sub(r"<option value=\"zh-hans\"[^>]*>[^<]*</option>", "", markup)  # the language menu
    assert not CJK.search(markup), CJK.findall(markup)
    strings = config_of(html)["strings"]
    assert strings["queued"] == "Saved in the queue to send"
    assert not [text for text in strings.values() if CJK.search(text)]
    manifest = json.loads(client.get("/m/manifest.webmanifest", HTTP_ACCEPT_LANGUAGE="en").content)
    assert manifest["lang"] == "en" and not CJK.search(manifest["name"])


# --------------------------------------------------------------------------- in Chromium


def login_with_real_hasher(user):
    """The daphne process hashes with production's PBKDF2, not the tests' fast MD5."""
    user.password = make_password("pw-12319-test", hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])


def photo_file(tmp_path, name="scene.jpg"):
    path = tmp_path / name
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 140, 60)).save(buf, "JPEG")
    path.write_bytes(buf.getvalue())
    return str(path)


def open_phone(browser, live_url, locale="zh-CN", **options):
    context = browser.new_context(
        locale=locale, geolocation={"latitude": LAT, "longitude": LNG}, permissions=["geolocation"],
        viewport={"width": 412, "height": 900}, is_mobile=True, has_touch=True, **options,
    )  # fmt: skip
    page = context.new_page()
    page.goto(f"{live_url}/m/")
    return context, page


def sign_in(page, username="inspector1", shot=None):
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pw-12319-test")
    if shot:
        screenshot(page, shot)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#app:not([hidden])")


def queue_count(page) -> str:
    return page.inner_text("#queue-count")


@pytest.mark.browser
def test_report_made_offline_is_sent_once_when_back_online(live_url, browser, city, tmp_path):
    login_with_real_hasher(city.user("inspector1"))
    context, page = open_phone(browser, live_url)
    sign_in(page, shot="handset-login")
    page.wait_for_selector("#category option[value=E0102]", state="attached")
    page.wait_for_function("document.querySelector('#position').textContent.includes('104.17')")
    page.evaluate("navigator.serviceWorker.ready")  # the shell is cached: the page works offline

    context.set_offline(True)
    page.wait_for_selector("#offline-banner:not([hidden])")
    page.fill("#category-search", "暴露")  # search by name: one match, chosen
    assert page.eval_on_selector("#category", "s => s.value") == "E0102"
    page.fill("textarea[name=description]", "离线时发现的暴露垃圾")
    page.set_input_files("#report-form input[name=photos]", photo_file(tmp_path))
    screenshot(page, "handset-report-form")
    page.click("#report-form button[type=submit]")
    page.wait_for_function("document.querySelector('#queue-count').textContent === '1'")
    assert page.inner_text("#report-status") == "已存入待发送队列"
    screenshot(page, "handset-report-queued")
    assert Case.objects.count() == 0
    # Offline attempts keep the report: nothing is lost, nothing sent.
    page.evaluate("window.handset.flush()")
    assert queue_count(page) == "1" and Case.objects.count() == 0
    # Without signal the service worker serves the page from its cache, and the queue lives in
    # IndexedDB: after a reload the report is still there.
    assert page.reload().from_service_worker
    page.wait_for_selector("#app:not([hidden])")
    page.wait_for_function("document.querySelector('#queue-count').textContent === '1'")
    page.click("[data-tab=queue]")
    assert "离线时发现的暴露垃圾" in page.inner_text("#queue")

    context.set_offline(False)
    # Back online, the page sends on the `online` event; `online` twice more and two direct sends
    # at once are retries with the same Idempotency-Key: the server files the report once.
    page.evaluate(
        """() => {
            window.dispatchEvent(new Event("online"));
            window.dispatchEvent(new Event("online"));
            return Promise.all([window.handset.sendQueued(), window.handset.sendQueued(), window.handset.flush()]);
        }"""
    )
    page.wait_for_function("document.querySelector('#queue-count').textContent === '0'", timeout=10000)
    page.evaluate("window.handset.flush()")  # waits for any send still on its way
    case = Case.objects.get()
    assert case.category.full_code == "E0102" and case.cell.code == "62040200100101"
    assert abs(case.lng - LNG) < 1e-6 and abs(case.lat - LAT) < 1e-6
    assert case.description == "离线时发现的暴露垃圾" and case.reporter.username == "inspector1"
    assert CasePhoto.objects.filter(case=case).count() == 1
    assert case.events.filter(kind="case.reported").count() == 1
    assert page.evaluate("window.handset.Queue.all().then(all => all.length)") == 0
    page.click("[data-tab=report]")
    page.wait_for_function(f"document.querySelector('#report-status').textContent.includes('{case.number}')")
    context.close()


@pytest.mark.browser
def test_queue_keeps_a_report_on_server_errors_and_drops_a_refused_one_visibly(live_url, browser, city, tmp_path):
    login_with_real_hasher(city.user("inspector1"))
    # No service worker: the test's fake server errors must reach the page's own requests.
    context, page = open_phone(browser, live_url, service_workers="block")
    sign_in(page)
    page.wait_for_selector("#category option[value=E0102]", state="attached")
    page.wait_for_function("document.querySelector('#position').textContent.includes('104.17')")

    def unavailable(route):
        if route.request.method == "POST":
            route.fulfill(status=503, content_type="application/json", body='{"error": {"code": "unavailable"}}')
        else:
            route.continue_()

    # A big camera photo is shrunk before it is queued; a small one goes as it is.
    shrunk = page.evaluate(
        """async () => {
            const canvas = Object.assign(document.createElement("canvas"), {width: 4000, height: 3000});
            const ctx = canvas.getContext("2d");
            const pixels = ctx.createImageData(4000, 3000);
            for (let i = 0; i < pixels.data.length; i++) pixels.data[i] = (i * 7919) % 251;  // noise: a big JPEG
            ctx.putImageData(pixels, 0, 0);
            const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.95));
            const big = new File([blob], "IMG_0001.JPG", {type: "image/jpeg"});
            const out = await window.handset.preparePhoto(big);
            const bitmap = await createImageBitmap(out);
            const small = new File([new Uint8Array([1, 2, 3])], "tiny.jpg", {type: "image/jpeg"});
            return {before: big.size, after: out.size, width: bitmap.width, height: bitmap.height, name: out.name,
                    type: out.type, same: (await window.handset.preparePhoto(small)) === small};
        }"""
    )
    assert shrunk["before"] > 2 * 1024 * 1024 > shrunk["after"], shrunk
    assert (shrunk["width"], shrunk["height"], shrunk["type"]) == (2560, 1920, "image/jpeg") and shrunk["same"]

    page.route("**/api/v1/cases", unavailable)
    page.select_option("#category", "E0102")
    page.set_input_files("#report-form input[name=photos]", photo_file(tmp_path))
    page.click("#report-form button[type=submit]")
    page.wait_for_function("document.querySelector('#queue-count').textContent === '1'")
    page.evaluate("window.handset.flush()")
    assert queue_count(page) == "1" and Case.objects.count() == 0  # 5xx: kept for later

    # A report the server will never take (a category that does not exist): dropped, and said so.
    page.evaluate(
        """() => window.handset.Queue.add({
            key: crypto.randomUUID(), user: "inspector1", photos: [], made_at: "2000-01-01T00:00:00Z",
            fields: {category: "E9999", description: "无此类别", lng: "104.17", lat: "36.545", crs: "wgs84",
                     address: "", urgency: "normal", self_resolved: "false"},
        })"""
    )
    page.unroute("**/api/v1/cases")
    page.evaluate("window.handset.flush()")
    assert queue_count(page) == "0"
    assert Case.objects.count() == 1 and Case.objects.get().category.full_code == "E0102"
    expect(page.locator("#rejected-alert")).to_be_visible()
    page.click("#rejected-alert")
    rejected = page.inner_text("#rejected")
    assert "无此类别" in rejected
    assert "类别: 不认识这个值" in rejected and "category" not in rejected  # words, not the API's codes
    screenshot(page, "handset-rejected")
    page.click("#rejected-dismiss")
    page.wait_for_selector("#rejected-alert", state="hidden")
    context.close()


@pytest.mark.browser
def test_inspector_checks_a_case_from_the_page(live_url, browser, city, make_case, tmp_path):
    case = make_case("dispatched")
    # The department handles it through the server, so that the server keeps the photo (its own
    # media folder); inspector1, the cell's inspector, is sent to check.
    token = ApiToken.issue(city.user("staff_huanwei"))[1]
    with open(photo_file(tmp_path, "handled.jpg"), "rb") as photo:
        r = requests.post(
            f"{live_url}/api/v1/cases/{case.number}/actions/handle", data={"note": "已清理"},
            files={"photos": ("handled.jpg", photo, "image/jpeg")}, headers={"Authorization": f"Token {token}"},
            timeout=10,
        )  # fmt: skip
    assert r.status_code == 200 and r.json()["state"] == "checking", r.text
    login_with_real_hasher(city.user("inspector1"))
    context, page = open_phone(browser, live_url)
    sign_in(page)
    page.click("[data-tab=tasks]")
    task = page.locator(f"#tasks li[data-number='{case.number}']")
    task.wait_for()
    screenshot(page, "handset-tasks")
    task.click()
    form = page.locator('#case form[data-action="check"]')
    form.locator("select[name=result]").select_option("passed")
    form.locator("input[name=note]").fill("已清理干净")
    form.locator("input[name=photos]").set_input_files(photo_file(tmp_path))
    page.locator("#case .photos img").first.wait_for()  # the handler's photo, fetched with the token
    screenshot(page, "handset-case")
    form.locator("button[type=submit]").click()
    form.locator(".ok").wait_for()
    case.refresh_from_db()
    # A passed check waits for the shift leader's 结案 (待结案).
    assert case.state == "checked" and case.photos.filter(stage="check").count() == 1
    context.close()


@pytest.mark.browser
def test_department_staff_handle_a_case_with_photos(live_url, browser, city, make_case, tmp_path):
    case = make_case("dispatched")
    login_with_real_hasher(city.user("staff_huanwei"))
    context, page = open_phone(browser, live_url)
    sign_in(page, "staff_huanwei")
    # Department staff do not report: the page opens on their tasks.
    # (expect() waits: the tab switch happens after the sign-in answer, not with it)
    expect(page.locator("#tasks")).to_be_visible()
    expect(page.locator("[data-tab=report]")).to_be_hidden()
    sent = []
    page.on("request", lambda r: sent.append(r.url) if "/actions/" in r.url else None)
    page.click(f"#tasks li[data-number='{case.number}']")
    form = page.locator('#case form[data-action="handle"]')
    # The workflow table says handling needs photos: the form says so, and says it again before sending.
    assert form.locator(".photos-required").inner_text() == "此操作须上传照片。"
    form.locator("input[name=note]").fill("已清运")
    form.locator("button[type=submit]").click()
    form.locator(".error").wait_for()
    assert form.locator(".error").inner_text() == "此操作须上传照片。" and sent == []
    case.refresh_from_db()
    assert case.state == "dispatched"
    form.locator("input[name=photos]").set_input_files([photo_file(tmp_path, "a.jpg"), photo_file(tmp_path, "b.jpg")])
    form.locator("button[type=submit]").click()
    form.locator(".ok").wait_for()
    case.refresh_from_db()
    assert case.state == "checking" and case.photos.filter(stage="handle").count() == 2
    context.close()


@pytest.mark.browser
def test_tasks_arrive_live_over_the_socket(live_url, browser, city, make_case):
    login_with_real_hasher(city.user("inspector1"))
    context, page = open_phone(browser, live_url, locale="en-US")  # and the page in English
    assert page.inner_text("#login h1") == "Sign in"
    sign_in(page)
    page.wait_for_selector("#live.on")
    page.click("[data-tab=tasks]")
    page.wait_for_selector("#tasks li")
    assert page.locator("#tasks li[data-number]").count() == 0
    # The call-taker sends a case to inspector1 through the server (whose channel layer carries the event).
    case = make_case("reported")
    token = ApiToken.issue(city.user("calltaker"))[1]
    r = requests.post(
        f"{live_url}/api/v1/cases/{case.number}/actions/send_verify", json={"inspector": "inspector1"},
        headers={"Authorization": f"Token {token}"}, timeout=10,
    )  # fmt: skip
    assert r.status_code == 200, r.text
    page.locator(f"#tasks li[data-number='{case.number}']").wait_for(timeout=10000)
    assert page.inner_text("#task-count") == "1"
    assert page.inner_text(f"#tasks li[data-number='{case.number}']").startswith("Verify")
    screenshot(page, "handset-tasks-en")
    page.wait_for_function(
        f"+localStorage.getItem('handset.last_id') >= {case.events.order_by('-id').first().id}", timeout=5000
    )
    context.close()


@pytest.mark.browser
def test_the_address_is_filled_from_the_located_point_and_a_typed_one_is_kept(live_url, daphne, browser, city):
    from city.models import Place

    Place.objects.create(name="金鱼公园", kind="park", lng=LNG + 0.0006, lat=LAT)  # ≈ 54 m east
    # Without Redis the server process hears of no change made here: restart it (its gazetteer
    # index may have been built by an earlier test).
    daphne.stop()
    daphne.start()
    login_with_real_hasher(city.user("inspector1"))
    context, page = open_phone(browser, live_url)
    sign_in(page)
    address = page.locator("#report-address")
    page.wait_for_function("document.querySelector('#report-address').value === '金鱼公园 附近'")
    # The inspector's own words are not overwritten by the next fix.
    address.fill("公园东门")
    page.click("#locate")
    page.wait_for_timeout(500)
    assert address.input_value() == "公园东门"
    context.close()
