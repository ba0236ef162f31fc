"""Issue 13, the hotline's hardening points 6, 9 and 10: each test names its point. Webhooks are
driven with signatures made by twilio's own RequestValidator; outbound SMS go through the real
twilio Client with only its HTTP layer replaced."""

import json
import logging

import pytest
from django.contrib.admin.sites import site
from django.contrib.admin.templatetags.admin_list import results
from django.test import RequestFactory
from twilio.http.response import Response

from dispatch import services
from dispatch.models import Case, CasePhoto
from hotline import backends, media, outbox
from hotline.models import InboundMessage, MediaFetch, OptOut, OutboundMessage, Satisfaction, VoiceCall
from tests.conftest import jpeg
from tests.hotline.test_sms import (  # noqa: F401 (twilio_settings: the autouse fixture)
    PHONE,
    RecordingHttpClient,
    post,
    register_by_sms,
    reply_of,
    sms,
    twilio_settings,
)

BASE = "http://testserver/hotline/twilio/"
OTHER = "+8613700000002"


# --------------------------------------------------------------------------- point 9


class RefusingHttpClient(RecordingHttpClient):
    """Twilio's API refusing the number, quoting it back as it does (error 21211)."""

    def request(self, method, uri, params=None, data=None, headers=None, auth=None, timeout=None, **kwargs):
        self.requests.append({"method": method, "uri": uri, "data": dict(data or {})})
        message = f"The 'To' number {data['To']} is not a valid phone number."
        return Response(400, json.dumps({"code": 21211, "message": message, "status": 400}))


def test_point9_twilio_error_texts_are_masked_in_the_log_and_the_outbox(city, settings, monkeypatch, caplog):
    settings.SMS_BACKEND = "twilio"
    monkeypatch.setattr(backends.TwilioBackend, "http_client", RefusingHttpClient())
    register_by_sms(city)
    with caplog.at_level(logging.DEBUG):
        assert outbox.send_due() == 0
    message = OutboundMessage.objects.get()
    assert "21211" in message.last_error and "5678" in message.last_error  # still useful to an admin
    assert PHONE not in message.last_error and PHONE[1:] not in message.last_error
    assert "21211" in caplog.text and PHONE[1:] not in caplog.text


def test_point9_admin_masking_is_decided_per_request_not_on_the_shared_model_admin(city, django_user_model):
    """Two requests interleaved on the one shared ModelAdmin: each page shows what its user may see."""
    sms("路灯坏了", sid="SMadmin")
    model_admin = site._registry[InboundMessage]
    root = django_user_model.objects.create_superuser("root", password="x-12319-root")  # admin: masked
    supervisor = city.user("supervisor")  # calls residents back: the full number
    supervisor.is_staff = True
    factory = RequestFactory()
    seen = {}
    for name, user in [("supervisor", supervisor), ("root", root)]:
        request = factory.get("/admin/hotline/inboundmessage/")
        request.user = user
        seen[name] = model_admin.get_changelist_instance(request)  # both requests begin …
        seen[name].formset = None  # (set by changelist_view; no list_editable here)
    rows = {name: str(list(results(changelist))) for name, changelist in seen.items()}  # … then render
    assert PHONE in rows["supervisor"]
    assert PHONE not in rows["root"] and "5678" in rows["root"]


def test_point9_a_stray_digit_with_no_callback_pending_gets_help_and_files_nothing(city):
    for sid, digit in [("SMd1", "1"), ("SMd2", "2")]:
        assert "12319" in reply_of(sms(digit, sid=sid))
    assert Case.objects.count() == 0 and Satisfaction.objects.count() == 0
    assert set(InboundMessage.objects.values_list("kind", flat=True)) == {"help"}


def test_point9_an_mms_without_text_files_a_case_with_its_photo(city, monkeypatch):
    monkeypatch.setattr(media, "download", lambda url: jpeg().read())
    r = post({"MessageSid": "MMnotext", "From": PHONE, "Body": "", "NumMedia": "1",
              "MediaUrl0": "https://api.twilio.com/media/ME9", "MediaContentType0": "image/jpeg"},
             url=BASE + "sms")  # fmt: skip
    case = Case.objects.get()
    assert case.number in reply_of(r) and case.reporter_phone == PHONE and case.source == "sms"
    assert MediaFetch.objects.get().case == case
    assert media.fetch_due() == 1 and CasePhoto.objects.filter(case=case).count() == 1


def close_with_a_merged_report(city):
    """Two residents report one problem; the second report is merged into the first, which is closed."""
    sms("人民路垃圾满了", sid="SMmaster", phone=PHONE)
    sms("人民路垃圾满了", sid="SMdup", phone=OTHER)
    master, dup = Case.objects.order_by("id")
    services.act(dup.number, "merge", city.user("calltaker"), params={"master": master.number})
    for action, who, params in [
        ("send_verify", "calltaker", {"inspector": "inspector1"}), ("verify", "inspector1", {"result": "exists"}),
        ("register", "supervisor", {}), ("dispatch", "dispatcher", {"department": "huanwei"}),
    ]:  # fmt: skip
        services.act(master.number, action, city.user(who), params=params)
    services.act(master.number, "handle", city.user("staff_huanwei"), params={"note": "ok"}, photo_files=[jpeg()])
    services.act(master.number, "send_check", city.user("calltaker"), params={"inspector": "inspector1"})
    services.act(master.number, "check", city.user("inspector1"), params={"result": "passed"})
    services.act(master.number, "close", city.user("supervisor"), params={})
    master.refresh_from_db()
    dup.refresh_from_db()
    return master, dup


def test_point9_a_resident_whose_report_was_merged_can_answer_the_callback(city):
    master, dup = close_with_a_merged_report(city)
    asked = OutboundMessage.objects.get(purpose="closed", to=OTHER)
    assert "回复 2" in asked.body
    cases_before = Case.objects.count()
    assert "谢谢" in reply_of(sms("2", sid="SMmerged-answer", phone=OTHER))
    rating = Satisfaction.objects.get()
    assert rating.case == dup and rating.phone == OTHER and rating.satisfied is False
    assert Case.objects.count() == cases_before  # the answer filed no case
    # The master's own reporter answers for the master, once.
    assert "谢谢" in reply_of(sms("1", sid="SMmaster-answer", phone=PHONE))
    assert Satisfaction.objects.get(case=master).satisfied is True
    assert "谢谢" not in reply_of(sms("1", sid="SMmaster-again", phone=PHONE))
    assert Case.objects.count() == cases_before


def test_point9_a_callback_question_that_was_never_sent_cannot_be_answered(city):
    OptOut.objects.create(phone=OTHER, opted_out=True)
    close_with_a_merged_report(city)
    outbox.send_due()  # the opted-out resident is never asked
    assert OutboundMessage.objects.get(purpose="closed", to=OTHER).status == "skipped"
    OptOut.objects.filter(phone=OTHER).update(opted_out=False)
    sms("1", sid="SMnot-asked", phone=OTHER)
    assert not Satisfaction.objects.filter(phone=OTHER).exists()


@pytest.mark.parametrize("word", ["STOP", "Stop.", "STOP please", "stop!", "取消", "退订。", " 退订 ", "Unsubscribe"])
def test_point9_stop_words_with_punctuation_or_politeness_opt_out(city, word):
    reply = reply_of(sms(word, sid="SMstop"))
    assert OptOut.objects.get(phone=PHONE).opted_out and Case.objects.count() == 0
    assert "START" in reply


@pytest.mark.parametrize("text", ["Stop sign knocked down on Renmin Road", "取消占道的摊位还在人民路口"])
def test_point9_a_report_that_only_begins_with_a_stop_word_is_a_report(city, text):
    sms(text, sid="SMreport")
    assert not OptOut.objects.exists() and Case.objects.count() == 1


def test_point9_start_with_punctuation_opts_back_in(city):
    sms("STOP", sid="SMs1")
    sms("Start.", sid="SMs2")
    assert not OptOut.objects.get(phone=PHONE).opted_out


def test_point9_the_hourly_limit_is_read_when_a_message_arrives(city, settings):
    settings.HOTLINE_SMS_PER_HOUR = 2
    for i in range(3):
        reply = reply_of(sms(f"问题 {i}", sid=f"SMl{i}"))
    assert Case.objects.count() == 2 and "过多" in reply
    settings.HOTLINE_SMS_PER_HOUR = 5
    sms("问题 3", sid="SMl3")
    assert Case.objects.count() == 3


# --------------------------------------------------------------------------- point 6


@pytest.fixture
def redis_down(settings):
    """Django's own Redis cache pointed at a port where nothing listens."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # free now, and nothing listens on it
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    from django.core.cache import cache

    with pytest.raises(Exception):  # noqa: B017 (whatever redis-py raises: it is down)
        cache.get("x")
    yield
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def test_point6_with_redis_down_an_sms_still_becomes_a_case_and_is_answered(city, redis_down, caplog):
    with caplog.at_level(logging.WARNING, logger="hotline"):
        r = sms("人民路口井盖丢了", sid="SMredis-down")
    assert r.status_code == 200
    case = Case.objects.get()
    assert case.number in reply_of(r) and InboundMessage.objects.get().case == case
    assert "rate limit" in caplog.text and PHONE not in caplog.text  # failed open, said so


# --------------------------------------------------------------------------- point 10

NUL = "\x00"


@pytest.mark.parametrize(
    ("step", "params"),
    [
        ("sms", {"MessageSid": "SM" + NUL, "From": PHONE, "Body": "路灯坏了"}),
        ("sms", {"MessageSid": "SMnul1", "From": PHONE + NUL, "Body": "路灯坏了"}),
        ("sms", {"MessageSid": "SMnul2", "From": PHONE, "Body": "x", "NumMedia": "1" + NUL}),
        ("sms", {"MessageSid": "SMnul3", "From": PHONE, "Body": "x", "NumMedia": "1",
                 "MediaUrl0": "https://api.twilio.com/m/" + NUL}),
        ("status", {"MessageSid": "SM" + NUL, "MessageStatus": "delivered"}),
        ("status", {"MessageSid": "SMx", "MessageStatus": "delivered" + NUL}),
        ("voice/menu", {"CallSid": "CAnul", "From": PHONE, "Digits": "1" + NUL}),
        ("voice/recorded", {"CallSid": "CA" + NUL, "From": PHONE, "RecordingUrl": "https://api.twilio.com/r/1"}),
        ("voice/recorded", {"CallSid": "CAnul", "From": PHONE + NUL, "RecordingUrl": "https://api.twilio.com/r/1"}),
        ("voice/recorded", {"CallSid": "CAnul", "From": PHONE, "RecordingUrl": "https://api.twilio.com/r/" + NUL}),
        ("voice/speech", {"CallSid": "CA" + NUL, "From": PHONE, "SpeechResult": "x", "Confidence": "0.9"}),
        ("voice/speech", {"CallSid": "CAnul", "From": PHONE, "SpeechResult": "x", "Confidence": "0.9" + NUL}),
        ("voice/recording", {"CallSid": "CAnul", "RecordingUrl": "https://api.twilio.com/r/" + NUL,
                             "RecordingStatus": "completed"}),
        ("voice/status", {"CallSid": "CAnul", "From": PHONE + NUL, "Digits": "123"}),
        ("voice/status", {"CallSid": "CAnul", "From": PHONE, "Digits": "1" + NUL}),
    ],
)  # fmt: skip
def test_point10_a_nul_in_a_twilio_identifier_is_400_and_stores_nothing(city, step, params):
    r = post(params, url=BASE + step)
    assert r.status_code == 400
    assert Case.objects.count() == 0 and InboundMessage.objects.count() == 0 and VoiceCall.objects.count() == 0


def test_point10_a_nul_in_a_residents_text_is_dropped_and_the_report_filed(city):
    r = post({"MessageSid": "SMnultext", "From": PHONE, "Body": "路灯" + NUL + "坏了"}, url=BASE + "sms")
    assert r.status_code == 200
    case = Case.objects.get()
    assert case.description == "路灯坏了" and case.number in reply_of(r)
    assert InboundMessage.objects.get().body == "路灯坏了"


def test_point10_a_nul_in_recognised_speech_is_dropped(city):
    params = {"CallSid": "CAt", "From": PHONE, "SpeechResult": "井盖" + NUL + "丢了", "Confidence": "0.9"}
    assert post(params, url=BASE + "voice/speech").status_code == 200
    assert VoiceCall.objects.get().transcript == "井盖丢了" and Case.objects.get().description == "井盖丢了"


def test_point10_a_nul_in_a_parameter_name_is_400(city):
    r = post({"MessageSid": "SMk", "From": PHONE, "Body": "x", "Bo" + NUL + "dy": "y"}, url=BASE + "sms")
    assert r.status_code == 400
    assert InboundMessage.objects.count() == 0
