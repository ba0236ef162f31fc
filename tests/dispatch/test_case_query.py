"""综合查询, the case page, the printed case file and its PDF (issue 14 points 1–3)."""

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from dispatch import services
from tests.conftest import T0, jpeg

pytestmark = pytest.mark.django_db


def client_for(city, username):
    client = Client()
    client.force_login(city.user(username))
    return client


def numbers(response) -> list[str]:
    html = response.content.decode()
    return sorted({n for n in _case_numbers(html)})


def _case_numbers(html):
    import re

    return re.findall(r'href="/cases/([EC]\d{16})/"', html)


@pytest.fixture
def cases(city, make_case):
    """Three cases: one dispatched to 环卫 (address 人民路), one reported by a resident with a phone,
    one closed."""
    with time_machine.travel(T0, tick=False):
        dispatched = make_case(
            "dispatched", address="人民路与北京路口", description="垃圾桶满溢", reporter_phone="13800001111"
        )
        reported = make_case("reported", address="", description="井盖松动有异响", reporter_phone="13912345678")
        closed = make_case("closed", address="公园路", description="绿化带垃圾")
    return {"dispatched": dispatched, "reported": reported, "closed": closed}


def test_a_partial_case_number_finds_the_case(city, cases):
    client = client_for(city, "dispatcher")
    number = cases["reported"].number
    r = client.get("/cases/", {"q": number[-8:]})
    assert r.status_code == 200
    assert numbers(r) == [number]


def test_a_full_case_number_jumps_to_the_case_page(city, cases):
    number = cases["closed"].number
    r = client_for(city, "leader").get("/cases/", {"q": number.lower()})
    assert r.status_code == 302 and r["Location"] == f"/cases/{number}/"


def test_address_and_description_words(city, cases):
    client = client_for(city, "supervisor")
    assert numbers(client.get("/cases/", {"q": "北京路"})) == [cases["dispatched"].number]
    assert numbers(client.get("/cases/", {"q": "异响"})) == [cases["reported"].number]


def test_phone_search_for_call_takers_on_the_whole_number_in_any_form(city, cases):
    client = client_for(city, "calltaker")
    want = [cases["reported"].number]
    assert numbers(client.get("/cases/", {"q": "139 1234 5678"})) == want
    assert numbers(client.get("/cases/", {"q": "+8613912345678"})) == want
    assert numbers(client.get("/cases/", {"phone": "13912345678"})) == want
    assert numbers(client.get("/cases/", {"q": "5678"})) == []  # not a part of a number


def test_phone_search_is_refused_to_roles_that_see_masked_numbers(city, cases):
    client = client_for(city, "dispatcher")
    r = client.get("/cases/", {"phone": "13912345678"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert numbers(client.get("/cases/", {"q": "13912345678"})) == []  # the free text does not match phones
    page = client.get(f"/cases/{cases['reported'].number}/").content.decode()
    assert "139****5678" in page and "13912345678" not in page


def test_department_staff_find_only_their_department_cases(city, cases):
    huanwei = client_for(city, "staff_huanwei")
    assert numbers(huanwei.get("/cases/")) == sorted([cases["dispatched"].number, cases["closed"].number])
    shizheng = client_for(city, "staff_shizheng")
    assert numbers(shizheng.get("/cases/")) == []
    assert shizheng.get(f"/cases/{cases['dispatched'].number}/").status_code == 404


def test_inspectors_and_strangers_have_no_query_page(city, cases):
    assert client_for(city, "inspector1").get("/cases/").status_code == 403
    assert Client().get("/cases/").status_code == 302


def test_filters_and_sorting(city, cases):
    client = client_for(city, "leader")
    assert numbers(client.get("/cases/", {"state": "closed"})) == [cases["closed"].number]
    assert numbers(client.get("/cases/", {"department": "huanwei", "state": "dispatched"})) == [
        cases["dispatched"].number
    ]
    with time_machine.travel(T0 + timedelta(days=2), tick=False):
        overdue = numbers(client.get("/cases/", {"overdue": "true"}))
    assert cases["dispatched"].number in overdue and cases["closed"].number not in overdue
    r = client.get("/cases/", {"sort": "-number"})
    listed = _case_numbers(r.content.decode())
    assert listed == sorted(listed, reverse=True) and len(listed) == 3
    assert client.get("/cases/", {"sort": "password"}).status_code == 400
    for bad in ({"reported_to": "9999-12-31"}, {"reported_from": "0001-01-01"}, {"state": "nope"}, {"page": "x"}):
        assert client.get("/cases/", bad).status_code == 400, bad


def test_rows_show_department_time_left_and_place_names(city, cases):
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        html = client_for(city, "dispatcher").get("/cases/").content.decode()
    assert "环卫" in html  # the department holding the dispatched case
    assert "剩 3.5 工时" in html  # 4 working hours, half an hour used
    assert "人民路街道 金鱼社区" in html  # no address: the place reads as names, the code only on hover
    assert 'title="62040200100101"' not in html or "(62040200100101)" in html


def test_the_same_query_as_csv_and_xlsx(city, cases):
    client = client_for(city, "leader")
    r = client.get("/cases/export.csv", {"q": "北京路"})
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][0] == "案卷号" and [row[0] for row in rows[1:]] == [cases["dispatched"].number]
    x = client.get("/cases/export.xlsx", {"state": "closed"})
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(x.content)).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [cases["closed"].number]


def test_the_case_page_tells_who_did_what_as_which_department_and_to_whom(city, cases):
    case = cases["closed"]
    html = client_for(city, "supervisor").get(f"/cases/{case.number}/").content.decode()
    assert case.number in html and "暴露垃圾" in html
    assert "派遣" in html and "环卫" in html  # dispatched to the department
    assert "inspector1" in html  # sent to verify/check: to whom
    assert "处置照片" in html  # photos labelled by stage
    assert "用时" in html and "时限" in html  # each stage's time against its limit


def test_the_print_page_and_the_pdf_carry_number_category_and_timeline(city, cases):
    from pypdf import PdfReader

    case = cases["closed"]
    client = client_for(city, "leader")
    page = client.get(f"/cases/{case.number}/print/").content.decode()
    assert case.number in page and "暴露垃圾" in page and "流转记录" in page and "@page" in page
    r = client.get(f"/cases/{case.number}/print.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages)
    assert case.number in text and "暴露垃圾" in text and "流转记录" in text and "派遣" in text
    from tests.live import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "case-file.pdf").write_bytes(r.content)  # for the README's picture of its first page


def test_a_query_prints_as_one_pdf_and_refuses_more_than_the_batch_limit(city, cases, monkeypatch):
    from pypdf import PdfReader

    client = client_for(city, "leader")
    r = client.get("/cases/print.pdf", {"q": "垃圾"})
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages)
    sheets = {n for n in (c.number for c in cases.values()) if f"数字城管案卷 {n}" in text}  # each file's heading
    assert sheets == {cases["dispatched"].number, cases["closed"].number}
    from dispatch import case_pages

    monkeypatch.setattr(case_pages, "PDF_BATCH_MAX", 1)
    assert client.get("/cases/print.pdf", {"q": "垃圾"}).status_code == 413


def test_the_header_search_box_is_on_every_staff_page(city):
    html = client_for(city, "dispatcher").get("/console/dispatch/").content.decode()
    assert 'action="/cases/"' in html and 'name="q"' in html


def test_photos_labelled_by_stage_on_the_case_page(city, make_case):
    case = make_case("reported")
    services.record_evidence(case, actor=city.user("calltaker"), note="补充", photo_files=[jpeg()])
    html = client_for(city, "calltaker").get(f"/cases/{case.number}/").content.decode()
    assert "上报照片" in html


def test_the_case_page_lists_the_sms_sent_to_the_resident(city, make_case):
    from hotline.models import OutboundMessage

    case = make_case("reported", reporter_phone="13912345678")
    OutboundMessage.objects.create(
        to="+8613912345678", body=f"您反映的问题已受理，案卷号 {case.number}", case=case, purpose="registered"
    )
    supervisor = client_for(city, "supervisor").get(f"/cases/{case.number}/").content.decode()
    assert "短信记录" in supervisor and "已受理" in supervisor and "+8613912345678" in supervisor
    dispatcher = client_for(city, "dispatcher").get(f"/cases/{case.number}/").content.decode()
    assert "已受理" in dispatcher and "13912345678" not in dispatcher


def test_printing_a_pdf_leaves_truncated_photos_refused(city, make_case):
    """WeasyPrint's import turns on Pillow's LOAD_TRUNCATED_IMAGES for the whole process."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from citymgmt.errors import UnsupportedMedia
    from dispatch import photos

    case = make_case("reported")
    assert client_for(city, "leader").get(f"/cases/{case.number}/print.pdf").status_code == 200
    whole = jpeg(size=(640, 480)).read()
    broken = SimpleUploadedFile("broken.jpg", whole[: len(whole) // 2], content_type="image/jpeg")
    with pytest.raises(UnsupportedMedia):
        photos.check_photos([broken])
