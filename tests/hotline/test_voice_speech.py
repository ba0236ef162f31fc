"""Issue 20: voice reports as recognised text (Mandarin and English), the case number read back,
and residents' numbers in one form at every door. Webhooks are posted with signatures made by
twilio's own RequestValidator; every TwiML answer is parsed as XML."""

import importlib

import pytest
from django.apps import apps as django_apps
from django.test import Client

from city.models import Category, Place
from dispatch import board, broadcast, services
from dispatch.labels import client_table
from dispatch.models import Case, CaseEvent
from hotline import voice_words
from hotline.models import InboundMessage, OptOut, OutboundMessage, VoiceCall
from tests.conftest import LAT, LNG
from tests.hotline.test_sms import PHONE, post, reply_of, sms, twilio_settings  # noqa: F401 (autouse fixture)
from tests.hotline.test_voice_mms import BASE, twiml

RECORDING = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE0001"


def step(name, sid="CA0001", phone=PHONE, **params):
    return twiml(post({"CallSid": sid, "From": phone, **params}, url=BASE + name))


def speak(text, confidence="0.92", sid="CA0001", phone=PHONE):
    return step("voice/speech", sid=sid, phone=phone, SpeechResult=text, Confidence=confidence)


def recording_callback(status="in-progress", sid="CA0001", url=RECORDING):
    params = {"CallSid": sid, "RecordingSid": "RE0001", "RecordingUrl": url, "RecordingStatus": status}
    return post(params, url=BASE + "voice/recording")


@pytest.fixture
def park(city):
    return Place.objects.create(name="金鱼公园", kind="landmark", lng=LNG, lat=LAT)


def said(root) -> list[str]:
    return [say.text for say in root.iter("Say")]


# --------------------------------------------------------------------------- the report step


def test_the_report_step_asks_in_mandarin_and_records_the_call(city, park):
    root = step("voice/menu", Digits="1")
    start = root.find("Start/Recording")
    assert start.get("recordingStatusCallback") == "/hotline/twilio/voice/recording"
    assert start.get("recordingStatusCallbackEvent") == "in-progress completed"
    gather = root.find("Gather")
    assert gather.get("input") == "speech" and gather.get("language") == "cmn-Hans-CN"
    assert gather.get("speechTimeout") == "auto" and gather.get("actionOnEmptyResult") == "true"
    assert gather.get("action") == "/hotline/twilio/voice/speech" and gather.get("method") == "POST"
    hints = gather.get("hints").split(",")
    assert {"暴露垃圾", "雨水井盖", "金鱼公园"} <= set(hints)
    prompt = gather.find("Say")
    assert "问题和地点" in prompt.text
    assert (prompt.get("voice"), prompt.get("language")) == ("Polly.Zhiyu-Neural", "cmn-CN")
    # The step again (a retry, or the caller back from the menu): no second recording.
    assert step("voice/menu", Digits="1").find("Start") is None


def test_hints_stay_within_twilios_limits(city):
    Place.objects.bulk_create(
        [Place(name=f"第{i}号地名", kind="road", lng=LNG, lat=LAT) for i in range(700)]
        + [Place(name="长" * 100, kind="road", lng=LNG, lat=LAT)]
        + [Place(name="甲,乙，丙", kind="road", lng=LNG, lat=LAT)]
    )  # fmt: skip
    hints = voice_words.hints("zh-hans").split(",")
    assert len(hints) == voice_words.HINTS_MAX_ENTRIES == 500
    assert max(len(h) for h in hints) <= 100 and all(h.strip() == h and h for h in hints)
    assert set(hints[:2]) == {"暴露垃圾", "雨水井盖"}  # the categories first
    assert "甲 乙 丙" in hints  # a comma inside a name would split it


def test_the_voice_per_language_is_a_setting(city, settings):
    settings.HOTLINE_VOICE_ZH = "Google.cmn-CN-Standard-A"
    assert step("voice").find("Gather/Say").get("voice") == "Google.cmn-CN-Standard-A"


# --------------------------------------------------------------------------- speech → case


def test_chinese_speech_naming_a_place_files_one_case_on_the_map(city, park):
    step("voice")
    step("voice/menu", Digits="1")
    assert recording_callback("in-progress").status_code == 204  # Twilio: the recording began
    text = "金鱼公园门口的雨水井盖丢了"
    first = speak(text, confidence="0.92")
    again = speak(text, confidence="0.92")  # Twilio retried the step
    case = Case.objects.get()
    assert case.description == text and case.source == "voice" and case.needs_verification
    assert case.address == "金鱼公园" and case.cell.code == "62040200100101" and (case.lng, case.lat) == (LNG, LAT)
    assert case.category.full_code == "C0103"  # guessed from the words; the call-taker confirms
    assert case.reporter_phone == PHONE and case.recording_url == RECORDING and not case.needs_listening
    call = VoiceCall.objects.get()
    assert call.case == case and call.transcript == text and call.confidence == pytest.approx(0.92)
    # The number read out digit by digit, its letter in Mandarin, and once more; then goodbye.
    spoken = voice_words.spoken_number(case.number, "zh-hans")
    assert spoken.startswith("字母西，") and "幺" in spoken and not any(ch.isdigit() for ch in spoken)
    assert [s for s in said(first) if spoken in s] == said(first)[:2] and len(said(first)) == 3
    assert said(first) == said(again) and first.find("Hangup") is not None
    assert first.find("Say").get("voice") == "Polly.Zhiyu-Neural"
    recording_callback("completed")  # later callbacks change nothing on the case
    assert CaseEvent.objects.filter(case=case).count() == 1


def test_a_homophone_from_speech_recognition_still_finds_the_place_and_category(city, park):
    speak("金玉公园旁边有暴露拉圾没人管")  # 金玉 for 金鱼, 拉圾 for 垃圾: what recognition may write
    case = Case.objects.get()
    assert case.address == "金鱼公园" and case.category.full_code == "E0102"


def test_the_longest_place_heard_wins_and_one_syllable_names_nothing(city):
    from city import gazetteer

    for name in ("建设路", "人民建设路", "桥"):
        Place.objects.create(name=name, kind="road", lng=LNG, lat=LAT)
    assert gazetteer.best_in_speech("人敏建设路口有垃圾").matched == "人民建设路"  # heard, not written
    assert gazetteer.best_in_speech("建设路口有垃圾").matched == "建设路"
    assert gazetteer.best_in_speech("乔那边有垃圾") is None  # 乔 sounds like 桥: too little to go on
    assert gazetteer.best_in_speech("桥那边有垃圾").matched == "桥"  # written: as typed text is read


def test_an_unknown_category_waits_in_unclassified_and_two_as_likely_are_not_guessed(city):
    speak("这里有个问题")
    Category.objects.create(kind="event", major_code="05", minor_code="01", major_name="街面秩序", name="暴露广告")
    speak("暴露垃圾和暴露广告都有", sid="CA0002")
    first, second = Case.objects.order_by("id")
    assert first.category.name == "待分类" and second.category.name == "待分类"


def test_low_confidence_marks_the_case_for_listening_on_the_supervision_console(city, park):
    speak("金鱼公园那边好像有什么", confidence="0.41")
    case = Case.objects.get()
    assert case.needs_listening and case.description == "金鱼公园那边好像有什么"
    assert "listen" in broadcast.case_summary(case)["flags"]
    listed = board.snapshot(city.user("supervisor"), "supervision")["cases"]
    assert [c["flags"] for c in listed if c["number"] == case.number] == [["listen"]]
    client = Client()
    client.force_login(city.user("supervisor"))
    page = client.get("/console/supervision/").content.decode()
    assert '<select name="listen">' in page and "待听录音" in page  # the filter, in words
    assert str(client_table()["flags"]["listen"]) == "待听录音"  # the badge's word, from the server
    case_page = client.get(f"/cases/{case.number}/").content.decode()
    assert "待听录音" in case_page
    assert "语音来电" in case_page and "0.41" in case_page  # what was heard, and how sure


def test_no_confidence_or_a_nonsense_one_is_treated_as_unsure(city):
    speak("路灯坏了", confidence="")
    speak("路灯坏了", confidence="7", sid="CA0002")
    assert all(c.needs_listening for c in Case.objects.all()) and Case.objects.count() == 2


def test_the_threshold_is_a_setting(city, settings):
    settings.HOTLINE_SPEECH_LISTEN_BELOW = 0.95
    speak("路灯坏了", confidence="0.9")
    assert Case.objects.get().needs_listening


def test_a_recording_known_only_after_the_case_is_added_to_it_once(city):
    speak("路灯坏了")
    case = Case.objects.get()
    assert case.recording_url == ""
    recording_callback("completed")
    recording_callback("completed")  # retried
    case.refresh_from_db()
    assert case.recording_url == RECORDING
    (event,) = CaseEvent.objects.filter(case=case, action="evidence")
    # The log says a recording came, not where Twilio keeps it (events reach every audience).
    assert event.data["recording"] is True and "recording_url" not in event.data and event.to_state == "reported"
    # Until the worker has fetched it: a word for the roles that call residents back, never Twilio's URL.
    for who, shown in [("calltaker", True), ("dispatcher", False)]:
        client = Client()
        client.force_login(city.user(who))
        page = client.get(f"/cases/{case.number}/").content.decode()
        assert RECORDING not in page and ("录音尚未取回" in page) is shown


def test_the_recording_callback_needs_https_and_a_signature(city):
    assert recording_callback(url="http://example.org/r").status_code == 400
    params = {"CallSid": "CA1", "RecordingUrl": RECORDING, "RecordingStatus": "completed"}
    assert post(params, url=BASE + "voice/recording", signature="forged").status_code == 403


# --------------------------------------------------------------------------- English


def test_the_english_path_end_to_end(city):
    Category.objects.filter(name="暴露垃圾").update(name_en="Exposed rubbish")
    menu = step("voice/menu", Digits="9")
    gather = menu.find("Gather")
    prompt = gather.find("Say")
    assert "press 1" in prompt.text.lower() and "press 2" in prompt.text.lower()
    assert (prompt.get("voice"), prompt.get("language")) == ("Polly.Joanna-Neural", "en-US")
    assert gather.findall("Say")[1].get("language") == "cmn-CN"  # Mandarin offered in Mandarin
    assert VoiceCall.objects.get().language == "en"
    report = step("voice/menu", Digits="1").find("Gather")
    assert report.get("language") == "en-US" and "Exposed rubbish" in report.get("hints").split(",")
    assert "problem" in report.find("Say").text.lower()
    filed = speak("There is exposed rubbish outside the school on Renmin Road", confidence="0.88")
    case = Case.objects.get()
    assert case.description == "There is exposed rubbish outside the school on Renmin Road"
    assert case.category.full_code == "E0102" and not case.needs_listening
    spoken = voice_words.spoken_number(case.number, "en")
    assert spoken == case.number[0] + ", 0 1 0 2, " + " ".join(case.number[5:13]) + ", " + " ".join(case.number[13:])
    assert "case number" in said(filed)[0].lower() and spoken in said(filed)[0] and spoken in said(filed)[1]
    assert filed.find("Say").get("voice") == "Polly.Joanna-Neural"
    # The status, later, by voice: in the caller's language.
    status_prompt = step("voice/menu", Digits="2").find("Gather/Say")
    assert "digits" in status_prompt.text.lower()
    answer = step("voice/status", Digits=case.number[1:]).find("Say")
    assert "Reported" in answer.text and spoken in answer.text and answer.get("language") == "en-US"
    # 9 again: back to Mandarin.
    assert "按1" in step("voice/menu", Digits="9").find("Gather/Say").text


# --------------------------------------------------------------------------- one form for numbers


def test_one_resident_by_sms_and_by_phone_has_one_history_and_either_status(city, park):
    sms("人民路口垃圾堆了三天没人管", sid="SMone", phone="+86 138 1234 5678")
    speak("金鱼公园门口的雨水井盖丢了", phone="13812345678")
    by_sms, by_voice = Case.objects.order_by("id")
    assert by_sms.reporter_phone == by_voice.reporter_phone == "+8613812345678"
    assert InboundMessage.objects.get().phone == VoiceCall.objects.get().phone == "+8613812345678"
    # Status of either report, by voice and by SMS, from either form of the number.
    for number in (by_sms.number, by_voice.number):
        assert (
            "待受理" in step("voice/status", sid="CA0009", phone="008613812345678", Digits=number[1:]).find("Say").text
        )
        assert "待受理" in reply_of(sms(number, sid=f"SMstatus{number}", phone="13812345678"))
    # The call-taker's view of the caller's history, typed any way.
    client = Client()
    client.force_login(city.user("calltaker"))
    for typed in ("138 1234 5678", "+8613812345678", "008613812345678"):
        rows = client.get("/console/intake/earlier", {"phone": typed}).json()["cases"]
        assert {r["number"] for r in rows} == {by_sms.number, by_voice.number}


def test_opt_outs_and_the_hourly_limit_match_however_the_number_is_written(city, settings):
    settings.HOTLINE_SMS_PER_HOUR = 2
    sms("问题一", sid="SMa", phone="13812345678")
    sms("问题二", sid="SMb", phone="+86 138 1234 5678")
    assert "过多" in reply_of(sms("问题三", sid="SMc", phone="008613812345678"))
    assert Case.objects.count() == 2
    sms("STOP", sid="SMstop", phone="8613812345678")
    assert OptOut.objects.get().phone == "+8613812345678"
    case = Case.objects.first()
    for action, who, params in [
        ("send_verify", "calltaker", {"inspector": "inspector1"}), ("verify", "inspector1", {"result": "exists"}),
        ("register", "supervisor", {}),
    ]:  # fmt: skip
        services.act(case.number, action, city.user(who), params=params)
    from hotline import outbox

    outbox.send_due()
    assert OutboundMessage.objects.get().status == "skipped"  # the opt-out, written another way


def test_a_number_twilio_gives_that_is_not_valid_is_stored_as_given_and_flagged(city):
    sms("路灯坏了", sid="SManon", phone="+266696687")
    message = InboundMessage.objects.get()
    assert message.phone == "+266696687" and not message.phone_valid
    assert Case.objects.get().reporter_phone == "+266696687"
    speak("路灯坏了", sid="CAanon", phone="anonymous")
    call = VoiceCall.objects.get()
    assert call.phone == "anonymous" and not call.phone_valid and call.case is not None
    # A withheld caller id is no one in particular: it hears no case's status.
    number = call.case.number
    assert "没有找到" in step("voice/status", sid="CAanon2", phone="anonymous", Digits=number[1:]).find("Say").text


def test_the_intake_console_refuses_an_invalid_number_and_saves_nothing(city):
    client = Client()
    client.force_login(city.user("calltaker"))
    body = {"category": "E0102", "lng": LNG, "lat": LAT, "description": "x", "urgency": "normal"}
    for bad in ("12345", "138123456789", "+86 123"):
        r = client.post("/console/intake/", {**body, "phone": bad})
        assert r.status_code == 200 and "不是有效的电话号码" in r.content.decode()
    assert Case.objects.count() == 0
    english = client.post("/console/intake/", {**body, "phone": "12345"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "not a valid phone number" in english.content.decode()
    client.post("/console/intake/", {**body, "phone": "0086 138-1234-5678"})
    assert Case.objects.get().reporter_phone == "+8613812345678"


# --------------------------------------------------------------------------- the data migrations


def _run(module):
    importlib.import_module(module).forwards(django_apps, None)


def test_the_data_migrations_normalise_stored_numbers_once_and_leave_invalid_ones(city, make_case):
    cases = [make_case("reported") for _ in range(4)]
    written = ["13812345678", "008613812345678", "+86 138 1234 5678", "12345"]
    for case, phone in zip(cases, written, strict=True):
        Case.objects.filter(pk=case.pk).update(reporter_phone=phone)  # as stored before one form
    InboundMessage.objects.create(sid="SMold", phone="13812345678", kind="report")
    InboundMessage.objects.create(sid="SModd", phone="anonymous", kind="report")
    OptOut.objects.create(phone="13812345678", opted_out=True)
    OptOut.objects.create(phone="+8613812345678", opted_out=False)  # the later word
    for _twice in range(2):  # idempotent
        _run("dispatch.migrations.0012_reporter_phones_e164")
        _run("hotline.migrations.0005_phones_e164")
        stored = list(
            Case.objects.filter(pk__in=[c.pk for c in cases]).order_by("id").values_list("reporter_phone", flat=True)
        )
        assert stored == ["+8613812345678"] * 3 + ["12345"]
        assert dict(InboundMessage.objects.values_list("sid", "phone")) == {
            "SMold": "+8613812345678",
            "SModd": "anonymous",
        }
        assert not InboundMessage.objects.get(sid="SModd").phone_valid
        assert list(OptOut.objects.values_list("phone", "opted_out")) == [("+8613812345678", False)]
