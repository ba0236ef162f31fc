"""The SMS webhook, driven with signatures made by twilio's own RequestValidator, and the outbox
sending through the real twilio Client with only its HTTP layer replaced."""

import json
from xml.etree import ElementTree

import pytest
from django.test import Client
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator

from dispatch import services
from dispatch.models import Case
from hotline import backends, outbox
from hotline.models import InboundMessage, OptOut, OutboundMessage

TOKEN = "test-auth-token-0123456789abcdef"
URL = "http://testserver/hotline/twilio/sms"
PHONE = "+8613812345678"


@pytest.fixture(autouse=True)
def twilio_settings(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    settings.TWILIO_FROM_NUMBER = "+12025550123"
    settings.PUBLIC_BASE_URL = ""
    settings.SMS_BACKEND = "locmem"
    backends.outbox.clear()


def post(params, url=URL, signature=None, token=TOKEN):
    client = Client()
    if signature is None:
        signature = RequestValidator(token).compute_signature(url, params)
    headers = {"HTTP_X_TWILIO_SIGNATURE": signature} if signature else {}
    return client.post(url.replace("http://testserver", ""), params, **headers)


def sms(body, sid="SM0001", phone=PHONE):
    return post({"MessageSid": sid, "From": phone, "To": "+12025550123", "Body": body, "NumMedia": "0"})


def reply_of(response) -> str:
    assert response["Content-Type"] == "application/xml"
    root = ElementTree.fromstring(response.content)  # noqa: S314 (our own server's TwiML)
    return root.find("Message").text


def test_a_new_problem_becomes_a_case_and_the_reply_gives_its_number(city):
    r = sms("人民路口垃圾堆了三天没人管")
    assert r.status_code == 200
    case = Case.objects.get()
    assert case.source == "sms" and case.needs_verification and case.reporter_phone == PHONE
    assert case.category.name == "待分类" and case.description == "人民路口垃圾堆了三天没人管"
    assert case.number in reply_of(r) and "查询" in reply_of(r)


def test_english_message_gets_an_english_reply(city):
    reply = reply_of(sms("Overflowing bin outside the school"))
    assert "case number" in reply.lower() and Case.objects.get().number in reply


def test_a_repeated_message_sid_gets_the_same_reply_and_files_nothing(city):
    first = reply_of(sms("路灯坏了", sid="SMdup"))
    again = reply_of(sms("路灯坏了", sid="SMdup"))
    assert first == again and Case.objects.count() == 1 and InboundMessage.objects.count() == 1


def test_a_place_named_in_the_text_puts_the_case_on_the_map(city):
    from city.models import Place
    from tests.conftest import LAT, LNG

    Place.objects.create(name="金鱼公园", kind="landmark", lng=LNG, lat=LAT)
    sms("金鱼公园门口井盖丢了")
    case = Case.objects.get()
    assert case.cell.code == "62040200100101" and case.address == "金鱼公园"


@pytest.mark.parametrize(
    ("signature", "url", "token"),
    [
        ("", URL, TOKEN),
        ("forged", URL, TOKEN),
        (None, "http://testserver/hotline/twilio/other", TOKEN),
        (None, URL, "wrong-token"),
    ],
)
def test_bad_signatures_are_refused_and_nothing_is_stored(city, signature, url, token):
    params = {"MessageSid": "SMbad", "From": PHONE, "Body": "路灯坏了"}
    if signature is None:
        signature = RequestValidator(token).compute_signature(url, params)
    r = Client().post("/hotline/twilio/sms", params, HTTP_X_TWILIO_SIGNATURE=signature)
    assert r.status_code == 403
    assert Case.objects.count() == 0 and InboundMessage.objects.count() == 0


def test_public_base_url_is_what_is_signed_behind_a_proxy(city, settings):
    settings.PUBLIC_BASE_URL = "https://city.example.org"
    params = {"MessageSid": "SMproxy", "From": PHONE, "Body": "路灯坏了"}
    signature = RequestValidator(TOKEN).compute_signature("https://city.example.org/hotline/twilio/sms", params)
    assert Client().post("/hotline/twilio/sms", params, HTTP_X_TWILIO_SIGNATURE=signature).status_code == 200


def test_status_query_only_answers_the_reporting_number(city):
    sms("路灯坏了", sid="SM1")
    number = Case.objects.get().number
    assert "待受理" in reply_of(sms(number, sid="SM2"))
    assert "待受理" in reply_of(sms(f"查询 {number}", sid="SM3"))
    stranger = reply_of(sms(number, sid="SM4", phone="+8613900000000"))
    assert "没有找到" in stranger and number not in stranger
    assert "Reported" in reply_of(sms(f"status {number}", sid="SM5"))  # asked in English
    assert Case.objects.count() == 1


def test_stop_start_and_help(city):
    assert "退订" in reply_of(sms("退订", sid="SMs"))
    assert OptOut.objects.get(phone=PHONE).opted_out
    reply_of(sms("START", sid="SMt"))
    assert not OptOut.objects.get(phone=PHONE).opted_out
    assert "12319" in reply_of(sms("帮助", sid="SMh"))
    assert Case.objects.count() == 0


def test_a_flood_from_one_number_is_limited(city, settings):
    for i in range(settings.HOTLINE_SMS_PER_HOUR):
        sms(f"问题 {i}", sid=f"SMf{i}")
    reply = reply_of(sms("再来一个", sid="SMf-over"))
    assert Case.objects.count() == settings.HOTLINE_SMS_PER_HOUR and "过多" in reply
    sms("另一个号码的问题", sid="SMother", phone="+8613700000000")
    assert Case.objects.count() == settings.HOTLINE_SMS_PER_HOUR + 1


def test_missing_fields_are_400(city):
    assert post({"Body": "x"}).status_code == 400
    assert Client().get("/hotline/twilio/sms").status_code == 405


# --------------------------------------------------------------------------- outbound


class RecordingHttpClient(TwilioHttpClient):
    """Twilio's HTTP layer, replaced: records each request and answers like the API (or fails)."""

    def __init__(self, fail_first=0):
        super().__init__()
        self.requests, self.fail_first = [], fail_first

    def request(
        self, method, uri, params=None, data=None, headers=None, auth=None, timeout=None, allow_redirects=False
    ):
        self.requests.append({"method": method, "uri": uri, "data": dict(data or {})})
        if len(self.requests) <= self.fail_first:
            return Response(500, json.dumps({"code": 20500, "message": "Internal Server Error", "status": 500}))
        body = {"sid": f"SM{len(self.requests):032d}", "status": "queued", "to": data["To"], "body": data["Body"]}
        return Response(201, json.dumps(body))


def register_by_sms(city):
    sms("垃圾桶满了", sid="SMreg")
    case = Case.objects.get()
    services.act(case.number, "send_verify", city.user("calltaker"), params={"inspector": "inspector1"})
    services.act(case.number, "verify", city.user("inspector1"), params={"result": "exists"})
    services.act(case.number, "register", city.user("supervisor"))
    return case


def test_registration_queues_an_sms_sent_through_the_twilio_client(city, settings, monkeypatch):
    settings.SMS_BACKEND = "twilio"
    http = RecordingHttpClient()
    monkeypatch.setattr(backends.TwilioBackend, "http_client", http)
    case = register_by_sms(city)
    queued = OutboundMessage.objects.get()
    assert queued.purpose == "registered" and queued.status == "queued"
    assert outbox.send_due() == 1
    (request,) = http.requests
    assert request["method"] == "POST" and request["uri"].endswith("/Messages.json")
    assert request["data"]["To"] == PHONE and request["data"]["From"] == "+12025550123"
    assert case.number in request["data"]["Body"]
    sent = OutboundMessage.objects.get()
    assert sent.status == "sent" and sent.sid.startswith("SM")
    assert outbox.send_due() == 0  # nothing twice


def test_a_failing_send_is_retried_with_backoff_and_not_duplicated(city, settings, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    settings.SMS_BACKEND = "twilio"
    http = RecordingHttpClient(fail_first=1)
    monkeypatch.setattr(backends.TwilioBackend, "http_client", http)
    register_by_sms(city)
    now = timezone.now()
    assert outbox.send_due(now) == 0
    message = OutboundMessage.objects.get()
    assert message.attempts == 1 and message.status == "queued" and message.last_error
    assert outbox.send_due(now + timedelta(seconds=30)) == 0  # not yet due again
    assert outbox.send_due(now + timedelta(minutes=3)) == 1
    assert len(http.requests) == 2 and OutboundMessage.objects.get().status == "sent"


def test_opted_out_numbers_are_never_sent_to(city):
    OptOut.objects.create(phone=PHONE, opted_out=True)
    register_by_sms(city)
    assert outbox.send_due() == 0
    assert OutboundMessage.objects.get().status == "skipped" and backends.outbox == []


def test_rejection_and_merge_are_told_and_rolled_back_changes_are_not(city):
    from django.db import transaction

    sms("不是问题", sid="SMrej")
    rejected = Case.objects.get()
    services.act(rejected.number, "reject", city.user("calltaker"), params={"reason": "不属于城管范围"})
    (message,) = OutboundMessage.objects.all()
    assert message.purpose == "rejected" and "不属于城管范围" in message.body

    sms("同一个问题", sid="SMm1", phone="+8613700000001")
    sms("同一个问题", sid="SMm2", phone="+8613700000002")
    master, dup = Case.objects.exclude(pk=rejected.pk).order_by("id")
    services.act(dup.number, "merge", city.user("calltaker"), params={"master": master.number})
    merged = OutboundMessage.objects.get(purpose="merged")
    assert merged.to == "+8613700000002" and master.number in merged.body

    with pytest.raises(RuntimeError), transaction.atomic():
        services.act(master.number, "reject", city.user("calltaker"), params={"reason": "x"})
        raise RuntimeError("rolled back")
    assert OutboundMessage.objects.count() == 2  # the rolled-back rejection queued nothing


def test_status_callbacks_keep_the_furthest_status(city, settings, monkeypatch):
    settings.SMS_BACKEND = "twilio"
    monkeypatch.setattr(backends.TwilioBackend, "http_client", RecordingHttpClient())
    register_by_sms(city)
    outbox.send_due()
    sid = OutboundMessage.objects.get().sid
    url = "http://testserver/hotline/twilio/status"
    for status in ["delivered", "sent"]:  # out of order: delivered must stay
        assert post({"MessageSid": sid, "MessageStatus": status}, url=url).status_code == 204
    assert OutboundMessage.objects.get().status == "delivered"
    assert post({"MessageSid": sid, "MessageStatus": "delivered"}, url=url, signature="forged").status_code == 403


def test_phone_numbers_are_masked_in_logs(city, caplog, settings):
    settings.SMS_BACKEND = "console"
    register_by_sms(city)
    outbox.send_due()
    assert (PHONE not in caplog.text and "138" in caplog.text) or "+86" in caplog.text
