"""The handset's day in the field, in headless Chromium against a real daphne: positions while on
duty (emulated geolocation, the page's clock driven by the test) reaching the trail and the live
map; case actions made without signal, sent once, or refused with the reason when the case moved
on; the console's nearest-inspector suggestion."""

import itertools
import time
from datetime import UTC, datetime

import pytest
import requests
from playwright.sync_api import expect

from city.coords import distance_m
from dispatch.models import Case, CaseEvent
from field import positions
from field.models import PositionSample
from mobile_api.models import ApiToken
from tests.conftest import LAT, LNG
from tests.live import screenshot, session_cookie_for
from tests.mobile_api.test_handset_page import login_with_real_hasher, open_phone, photo_file, sign_in

pytestmark = pytest.mark.browser

STEP = 0.0004  # degrees of longitude: about 36 m here


@pytest.fixture(autouse=True)
def _no_positions_from_other_tests():
    positions.store().clear()  # the shared Redis of the PostgreSQL pass; the server's memory is its own
    yield
    positions.store().clear()


def api_as(live_url, city, username, method, path, **kwargs):
    token = ApiToken.issue(city.user(username))[1]
    r = requests.request(method, f"{live_url}{path}", headers={"Authorization": f"Token {token}"}, timeout=10, **kwargs)
    return r


def open_case_on_phone(page, number):
    page.click("[data-tab=tasks]")
    page.locator(f"#tasks li[data-number='{number}']").click()


def test_positions_from_the_moving_phone_reach_the_trail_and_move_the_marker_live(live_url, browser, city):
    login_with_real_hasher(city.user("inspector1"))
    context = browser.new_context(
        locale="zh-CN", geolocation={"latitude": LAT, "longitude": LNG}, permissions=["geolocation"],
        viewport={"width": 412, "height": 900}, is_mobile=True, has_touch=True,
    )  # fmt: skip
    phone = context.new_page()
    phone.clock.install()  # the sampler's 10 s / 60 s rules run on the page's clock, driven here
    phone.goto(f"{live_url}/m/")
    sign_in(phone)
    phone.wait_for_function("document.querySelector('#position').textContent.includes('104.17')")
    expect(phone.locator("#clock-in")).to_be_visible()
    phone.evaluate("window.handset.flush()")
    assert PositionSample.objects.count() == 0  # not clocked in: nothing sampled

    # The command map, live.
    map_ctx = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    map_ctx.add_cookies([session_cookie_for(city.user("dispatcher"), live_url)])
    board = map_ctx.new_page()
    board.goto(f"{live_url}/maps/")
    board.wait_for_selector(".folium-map[data-loaded='1']", timeout=15000)
    board.wait_for_function("window.cityMap.board.socket && window.cityMap.board.socket.readyState === 1")
    time.sleep(0.3)  # the resume round trip

    # From here the page's time moves only when the test says: with time also flowing, a slow
    # machine let the sampler's 60 s idle rule add a second point where the phone stood.
    phone.clock.pause_at(datetime.fromtimestamp(phone.evaluate("Date.now()") / 1000 + 1, tz=UTC))
    phone.click("#clock-in")  # 上班打卡: on duty, the trail starts
    expect(phone.locator("#duty-state")).to_contain_text("在岗")
    expect(phone.locator("#track-hint")).to_contain_text("页面在后台超过 10 分钟即暂停记录")
    walk = [(LNG + i * STEP, LAT) for i in range(5)]

    def marker_at(lng):
        board.wait_for_function(
            f"""(() => {{ const d = window.cityMap.dots.get('inspector1');
                return d && Math.abs(d.getLatLng().lng - {lng}) < 1e-7; }})()""",
            timeout=20000,  # a loaded machine
        )

    for i, (lng, lat) in enumerate(walk):
        if i == len(walk) - 1:
            # The boards hear of an inspector at most once per 5 s: with everything before sent,
            # the last point is heard.
            phone.evaluate("window.handset.flush()")
            time.sleep(5.5)
        if i:
            phone.clock.run_for(40_000)  # a point every 40 s: well past the server's 30 s thinning
            context.set_geolocation({"latitude": lat, "longitude": lng})
            expect(phone.locator("#position")).to_contain_text(f"{lng:.5f}")
        if i in (0, len(walk) - 1):
            phone.evaluate("window.handset.flush()")
            marker_at(lng)
            if i == 0:
                screenshot(board, "map-inspector-live")
    phone.evaluate("window.handset.flush()")
    expect(phone.locator("#track-last")).to_contain_text("上次发送位置")
    assert phone.evaluate("window.handset.Samples.all().then(all => all.length)") == 0
    screenshot(phone, "handset-on-duty")

    trail = list(PositionSample.objects.filter(user=city.user("inspector1")).order_by("recorded_at"))
    assert [(round(p.lng, 6), round(p.lat, 6)) for p in trail] == [(round(x, 6), round(y, 6)) for x, y in walk]
    gaps = [(b.recorded_at - a.recorded_at).total_seconds() for a, b in itertools.pairwise(trail)]
    assert all(35 <= g < 50 for g in gaps), gaps  # the points' own times, from the phone's clock
    assert abs(trail[0].recorded_at - datetime.now(UTC)).total_seconds() < 300

    # Clocking out takes the marker off the map, live; nothing more is sampled.
    phone.click("#clock-out")
    expect(phone.locator("#clock-in")).to_be_visible()
    board.wait_for_function("!window.cityMap.dots.has('inspector1')", timeout=20000)
    phone.clock.run_for(61_000)
    context.set_geolocation({"latitude": LAT, "longitude": LNG + 6 * STEP})
    phone.evaluate("window.handset.flush()")
    assert PositionSample.objects.filter(user=city.user("inspector1")).count() == len(walk)
    map_ctx.close()
    context.close()


def test_a_page_hidden_more_than_ten_minutes_samples_nothing_and_says_so(live_url, browser, city):
    login_with_real_hasher(city.user("inspector1"))
    context = browser.new_context(
        locale="zh-CN", geolocation={"latitude": LAT, "longitude": LNG}, permissions=["geolocation"],
        viewport={"width": 412, "height": 900}, is_mobile=True, has_touch=True,
    )  # fmt: skip
    phone = context.new_page()
    phone.clock.install()
    sent = []  # the points the page sends (the server keeps one per 30 s of its own clock)
    phone.on(
        "request",
        lambda r: sent.extend(p["lng"] for p in r.post_data_json["positions"]) if "/positions" in r.url else None,
    )
    phone.goto(f"{live_url}/m/")
    sign_in(phone)
    phone.wait_for_function("document.querySelector('#position').textContent.includes('104.17')")
    phone.click("#clock-in")
    expect(phone.locator("#duty-state")).to_contain_text("在岗")
    phone.evaluate("window.handset.flush()")
    assert sent == [LNG]

    def visible(shown):
        phone.evaluate(
            f"""() => {{
                const hidden = {str(not shown).lower()};
                Object.defineProperty(document, "hidden", {{ configurable: true, get: () => hidden }});
                document.dispatchEvent(new Event("visibilitychange"));
            }}"""
        )

    visible(False)  # the phone in a pocket, the page in the background
    phone.clock.run_for(601_000)  # standing still: a point a minute while the fix is fresh, then none
    phone.evaluate("window.handset.flush()")
    assert set(sent) == {LNG}
    # Walking on: the page no longer watches the GPS, samples nothing, sends nothing.
    context.set_geolocation({"latitude": LAT, "longitude": LNG + STEP})
    phone.clock.run_for(120_000)
    phone.evaluate("window.handset.flush()")
    assert set(sent) == {LNG}

    visible(True)
    expect(phone.locator("#track-note")).to_be_visible()
    expect(phone.locator("#track-note")).to_contain_text("页面在后台超过 10 分钟")
    phone.wait_for_function(f"document.querySelector('#position').textContent.includes('{LNG + STEP:.5f}')")
    # (the watch may first hand back the fix it had: the next point comes within the 10 s rule)
    phone.clock.run_for(11_000)
    for _ in range(40):  # the sample is written to IndexedDB, then sent
        phone.evaluate("window.handset.flush()")
        if sent[-1] != LNG:
            break
        time.sleep(0.25)
    assert sent[-1] == pytest.approx(LNG + STEP)  # sampling again once seen
    context.close()


def test_an_offline_check_against_a_case_changed_meanwhile_is_refused_and_the_page_says_why(
    live_url, browser, city, make_case, tmp_path
):
    case = make_case("checking")
    seen = case.version
    login_with_real_hasher(city.user("inspector1"))
    context, page = open_phone(browser, live_url)
    sign_in(page)
    page.evaluate("navigator.serviceWorker.ready")
    open_case_on_phone(page, case.number)
    form = page.locator('#case form[data-action="check"]')
    form.wait_for()

    context.set_offline(True)
    form.locator("select[name=result]").select_option("passed")
    form.locator("input[name=note]").fill("现场已清理")
    form.locator("input[name=photos]").set_input_files(photo_file(tmp_path))
    expect(form.locator(".preview img")).to_have_count(1)
    form.locator("button[type=submit]").click()
    expect(form.locator("p").last).to_have_text("已存入待发送队列，有信号后自动提交")
    expect(page.locator("#queue-count")).to_have_text("1")
    queued = page.evaluate("window.handset.Actions.all().then(a => a.map(x => [x.action, x.version, x.photos.length]))")
    assert queued == [["check", seen, 1]]

    # Meanwhile, at the centre, the supervisor cancels the case (作废).
    r = api_as(
        live_url, city, "supervisor", "POST", f"/api/v1/cases/{case.number}/actions/cancel", json={"reason": "重复"}
    )
    assert r.status_code == 200, r.text

    context.set_offline(False)
    page.evaluate("window.handset.flush()")
    result = form.locator("p.error")
    expect(result).to_contain_text("案卷已被他人更新，本次操作未执行：supervisor 于")
    expect(result).to_contain_text("“作废”，案卷现为“已作废”")
    expect(page.locator("#queue-count")).to_have_text("0")
    expect(page.locator("#rejected-alert")).to_be_visible()
    page.click("#rejected-alert")
    refused = page.locator(f"#rejected li.conflict[data-number='{case.number}']")
    expect(refused).to_contain_text("核查")
    expect(refused).to_contain_text("案卷现为“已作废”")
    screenshot(page, "handset-action-conflict")
    case.refresh_from_db()
    assert case.state == "cancelled" and not case.events.filter(action="check").exists()
    context.close()


def test_an_offline_handle_with_two_photos_is_sent_once(live_url, browser, city, make_case, tmp_path):
    case = make_case("dispatched")
    login_with_real_hasher(city.user("staff_huanwei"))
    context, page = open_phone(browser, live_url)
    sign_in(page, "staff_huanwei")
    page.evaluate("navigator.serviceWorker.ready")
    page.locator(f"#tasks li[data-number='{case.number}']").click()
    form = page.locator('#case form[data-action="handle"]')
    form.wait_for()

    context.set_offline(True)
    form.locator("input[name=note]").fill("已清运")
    # Three photos chosen, previewed; one removed before sending.
    form.locator("input[name=photos]").set_input_files(
        [photo_file(tmp_path, "a.jpg"), photo_file(tmp_path, "b.jpg"), photo_file(tmp_path, "c.jpg")]
    )
    expect(form.locator(".preview")).to_have_count(3)
    form.locator(".preview button.remove").nth(1).click()
    expect(form.locator(".preview")).to_have_count(2)
    screenshot(page, "handset-photo-previews")
    form.locator("button[type=submit]").click()
    expect(page.locator("#queue-count")).to_have_text("1")
    assert Case.objects.get(pk=case.pk).state == "dispatched"

    # Back online, the first answer is lost on the way (the server took the action): the page keeps
    # the action and sends it again with the same key; retries race on `online` events.
    lost = []

    def lose_the_answer(route):
        if route.request.method == "POST" and not lost:
            route.fetch()  # the server handles it
            lost.append(route.request.headers.get("idempotency-key"))
            route.abort()
        else:
            route.continue_()

    page.route("**/actions/handle", lose_the_answer)
    context.set_offline(False)
    page.evaluate("window.handset.flush()")
    assert lost and Case.objects.get(pk=case.pk).state == "checking"
    page.evaluate(
        """() => {
            window.dispatchEvent(new Event("online"));
            window.dispatchEvent(new Event("online"));
            return Promise.all([window.handset.sendQueued(), window.handset.flush()]);
        }"""
    )
    page.evaluate("window.handset.flush()")
    expect(page.locator("#queue-count")).to_have_text("0")
    expect(page.locator("#rejected-alert")).to_be_hidden()
    case.refresh_from_db()
    assert case.state == "checking"
    assert CaseEvent.objects.filter(case=case, action="handle").count() == 1
    assert case.photos.filter(stage="handle").count() == 2
    assert CaseEvent.objects.get(case=case, action="handle").data["request_key"] == lost[0]
    context.close()


def test_my_reports_kept_for_offline_reading_and_a_warning_outside_ones_grid(live_url, browser, city, make_case):
    login_with_real_hasher(city.user("inspector1"))
    mine = api_as(
        live_url, city, "inspector1", "POST", "/api/v1/cases", json={"category": "E0102", "lng": LNG, "lat": LAT}
    )
    assert mine.status_code == 201
    number = mine.json()["number"]
    r = api_as(live_url, city, "supervisor", "POST", f"/api/v1/cases/{number}/actions/register", json={})
    assert r.status_code == 200, r.text
    context, page = open_phone(browser, live_url)
    sign_in(page)
    page.evaluate("navigator.serviceWorker.ready")
    page.click("[data-tab=mine]")
    item = page.locator(f"#mine li[data-number='{number}']")
    expect(item).to_have_attribute("data-state", "registered")
    expect(item.locator(".state")).to_have_text("已立案")
    expect(page.locator("#grid-warning")).to_be_hidden()  # the phone is in inspector1's own cell

    context.set_offline(True)
    page.reload()
    page.wait_for_selector("#app:not([hidden])")
    page.click("[data-tab=mine]")
    expect(item).to_contain_text("已立案")
    item.locator("summary").click()
    expect(item.locator(".timeline li")).to_have_count(2)
    expect(page.locator("#mine-updated")).to_contain_text("离线：显示的是")
    screenshot(page, "handset-my-reports")
    context.set_offline(False)

    # Outside the city's cells that are inspector1's: a warning, and the report is still taken.
    from city.models import ResponsibilityGrid

    rgrid = ResponsibilityGrid.objects.get()
    rgrid.cells.set(rgrid.cells.exclude(code="62040200100101"))
    context2, page2 = open_phone(browser, live_url)
    sign_in(page2)
    page2.click("[data-tab=report]")
    expect(page2.locator("#grid-warning")).to_be_visible()
    expect(page2.locator("#grid-warning")).to_contain_text("62040200100101")
    expect(page2.locator("#grid-warning")).to_contain_text("不在您的责任网格内，仍可上报")
    context.close()
    context2.close()


def test_console_suggests_the_nearest_on_duty_inspectors_with_distance(live_url, browser, city, make_case):
    case = make_case("reported")
    # inspector2 walks 120 m east of the case; inspector1 (the cell's) is off duty at the case.
    near = (LNG + 120 / (111320 * 0.8035), LAT)
    now = datetime.now(UTC).isoformat()
    r = api_as(
        live_url,
        city,
        "inspector2",
        "POST",
        "/api/v1/positions",
        json={"positions": [{"lng": near[0], "lat": near[1], "recorded_at": now}]},
    )
    assert r.status_code == 202, r.text
    for body in ({"positions": [{"lng": LNG, "lat": LAT, "recorded_at": now}]}, {"positions": [], "on_duty": False}):
        assert api_as(live_url, city, "inspector1", "POST", "/api/v1/positions", json=body).status_code == 202

    from tests.dispatch.test_consoles_browser import open_console, row

    ctx, page = open_console(browser, live_url, city.user("calltaker"), "/console/supervision/")
    row(page, case.number).click()
    form = page.locator('#panel form[data-action="send_verify"]')
    form.wait_for()
    suggestion = form.locator(".nearest-inspectors")
    expected = round(distance_m(LNG, LAT, *near))
    expect(suggestion.locator("button.nearest")).to_have_count(1)
    expect(suggestion).to_contain_text(f"就近在岗监督员: inspector2 {expected} 米")
    select = form.locator("select[name=inspector]")
    assert select.input_value() == "inspector1"  # the cell's own inspector, preselected
    assert "本网格监督员" in select.locator("option[value=inspector1]").inner_text()
    assert f"{expected} 米" in select.locator("option[value=inspector2]").inner_text()
    suggestion.locator("button.nearest").click()
    assert select.input_value() == "inspector2"
    screenshot(page, "console-nearest-inspectors")
    form.locator("button[type=submit]").click()
    page.locator("#action-status.ok").wait_for(timeout=5000)
    case.refresh_from_db()
    assert case.state == "verifying" and case.assigned_inspector.username == "inspector2"
    ctx.close()
