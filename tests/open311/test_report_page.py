"""The public report page: no login, mobile, files through the Open311 intake (source `web`)."""

import io

import pytest
from PIL import Image

from dispatch import services
from dispatch.models import Case, CasePhoto
from tests.conftest import LAT, LNG
from tests.live import screenshot


def photo_file(tmp_path):
    path = tmp_path / "bin.jpg"
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 140, 60)).save(buf, "JPEG")
    path.write_bytes(buf.getvalue())
    return str(path)


@pytest.mark.browser
def test_a_resident_files_by_map_click_with_a_photo_and_sees_it_registered(live_url, browser, city, tmp_path):
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 412, "height": 900}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.goto(f"{live_url}/report/")
    page.fill("#category-search", "bllj")  # pinyin initials of 暴露垃圾
    assert page.locator("#category option:not([hidden])").count() == 1
    page.select_option("#category", "E0102")
    box = page.locator("#report-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5)
    page.wait_for_function("document.querySelector('#lat').value !== ''")
    page.set_input_files("#photo", photo_file(tmp_path))
    page.fill("#description", "小区门口垃圾堆了三天")
    page.fill("#phone", "13655556666")
    screenshot(page, "report-page-filled")
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#case-number")
    case = Case.objects.get()
    assert page.inner_text("#case-number") == case.number
    assert page.inner_text("#case-status") == "待受理"
    assert (case.source, case.source_label, case.reporter_phone) == ("open311", "web", "+8613655556666")
    assert abs(case.lat - LAT) < 0.01 and abs(case.lng - LNG) < 0.01
    assert CasePhoto.objects.filter(case=case).count() == 1
    assert "13655556666" not in page.content()

    services.act(case.number, "send_verify", city.user("calltaker"), params={"inspector": "inspector1"})
    services.act(case.number, "verify", city.user("inspector1"), params={"result": "exists"})
    services.act(case.number, "register", city.user("supervisor"))
    page.reload()
    assert page.inner_text("#case-status") == "已立案"
    assert [li.get_attribute("data-kind") for li in page.locator("#steps li").all()] == ["reported", "registered"]
    screenshot(page, "report-status-registered")
    context.close()


def test_report_page_refuses_without_description_and_limits_per_address(client, city, settings, own_cache):
    settings.REPORT_PAGE_PER_ADDRESS_PER_MINUTE = 2
    form = {"service_code": "E0102", "lat": str(LAT), "long": str(LNG), "description": "垃圾"}
    assert client.post("/report/", {**form, "description": " "}).status_code == 400
    assert client.post("/report/", form).status_code == 302
    response = client.post("/report/", form)
    assert response.status_code == 400 and "请求过于频繁" in response.content.decode()
    assert Case.objects.count() == 1
    assert client.get("/report/E0000/").status_code == 404
    english = client.get("/report/", HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 200
