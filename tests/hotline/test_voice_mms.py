"""The voice menu step by step (TwiML parsed as XML), the voicemail when speech is not heard, MMS
photos fetched in the background, and the satisfaction callback. (Speech reports, English and
one form for numbers: test_voice_speech.py.)"""

from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.utils import timezone

from dispatch import services
from dispatch.models import Case, CasePhoto
from hotline import media, satisfaction
from hotline.models import MediaFetch, Satisfaction, VoiceCall
from tests.conftest import jpeg
from tests.hotline.test_sms import PHONE, post, reply_of, sms, twilio_settings  # noqa: F401 (fixture)

BASE = "http://testserver/hotline/twilio/"


def twiml(response):
    assert response.status_code == 200 and response["Content-Type"] == "application/xml"
    return ElementTree.fromstring(response.content)  # noqa: S314 (our own server's TwiML)


def voice(step, **params):
    return post({"CallSid": "CA0001", "From": PHONE, **params}, url=BASE + step)


def test_the_menu_offers_four_choices(city):
    root = twiml(voice("voice"))
    gather = root.find("Gather")
    assert gather.get("numDigits") == "1" and gather.get("action") == "/hotline/twilio/voice/menu"
    chinese, english = gather.findall("Say")
    assert "按1" in chinese.text and "按2" in chinese.text and "按0" in chinese.text
    assert (chinese.get("voice"), chinese.get("language")) == ("Polly.Zhiyu-Neural", "cmn-CN")
    assert "press 9" in english.text and english.get("language") == "en-US"  # English, offered in English
    assert root.find("Redirect").text == "/hotline/twilio/voice"  # silence: the menu again


def speak(text, confidence="0.93", sid="CA0001", phone=PHONE):
    return twiml(post({"CallSid": sid, "From": phone, "SpeechResult": text, "Confidence": confidence},
                      url=BASE + "voice/speech"))  # fmt: skip


def test_heard_nothing_twice_a_voicemail_marked_for_listening_once(city):
    twiml(voice("voice/menu", Digits="1"))
    again = twiml(voice("voice/speech", SpeechResult=""))  # nothing heard: asked again
    assert again.find("Gather").get("input") == "speech" and "没有听清" in again.find("Gather").find("Say").text
    record = twiml(voice("voice/speech")).find("Record")  # twice: a voicemail
    assert record.get("action") == "/hotline/twilio/voice/recorded" and record.get("maxLength") == "120"
    assert record.get("transcribe") is None  # Twilio transcribes English only: a person listens
    url = "https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE1"
    first = twiml(voice("voice/recorded", RecordingUrl=url))
    again = twiml(voice("voice/recorded", RecordingUrl=url))  # Twilio retried the step
    case = Case.objects.get()
    assert case.source == "voice" and case.needs_verification and case.needs_listening
    assert case.recording_url == url and case.category.name == "待分类"
    said = [say.text for say in first.findall("Say")]
    assert said == [say.text for say in again.findall("Say")] and first.find("Hangup") is not None
    assert VoiceCall.objects.get().case == case


def test_two_reads_the_status_to_the_reporting_number_only(city):
    gather = twiml(voice("voice/menu", Digits="2")).find("Gather")
    assert gather.get("finishOnKey") == "#" and gather.get("action") == "/hotline/twilio/voice/status"
    speak("路灯不亮了")
    number = Case.objects.get().number
    said = twiml(voice("voice/status", Digits=number[1:])).find("Say").text
    assert "待受理" in said and "字母伊" in said and "幺" in said  # the number read out, digit by digit
    stranger = twiml(
        post({"CallSid": "CA9", "From": "+8613900000000", "Digits": number[1:]}, url=BASE + "voice/status")
    )
    assert "没有找到" in stranger.find("Say").text


def test_zero_dials_the_call_taker(city, settings):
    settings.HOTLINE_CALL_TAKER_NUMBER = "+862012319"
    assert twiml(voice("voice/menu", Digits="0")).find("Dial").text == "+862012319"
    settings.HOTLINE_CALL_TAKER_NUMBER = ""
    assert twiml(voice("voice/menu", Digits="0")).find("Say") is not None
    assert twiml(voice("voice/menu", Digits="7")).find("Redirect") is not None


def test_voice_steps_need_a_signature(city):
    assert post({"CallSid": "CA1", "From": PHONE}, url=BASE + "voice", signature="forged").status_code == 403


def test_mms_photos_are_fetched_by_the_worker_and_retried(city, monkeypatch):
    calls = []

    def download(url):
        calls.append(url)
        if len(calls) == 1:
            import requests

            raise requests.ConnectionError("twilio unreachable")
        return jpeg().read()

    monkeypatch.setattr(media, "download", download)
    r = post({"MessageSid": "MM1", "From": PHONE, "Body": "井盖丢了", "NumMedia": "1",
              "MediaUrl0": "https://api.twilio.com/media/ME1", "MediaContentType0": "image/jpeg"},
             url=BASE + "sms")  # fmt: skip
    assert Case.objects.get().number in reply_of(r)  # the reply did not wait for the photo
    assert CasePhoto.objects.count() == 0
    now = timezone.now()
    assert media.fetch_due(now) == 0 and MediaFetch.objects.get().attempts == 1
    assert media.fetch_due(now + timedelta(minutes=3)) == 1
    assert CasePhoto.objects.count() == 1 and MediaFetch.objects.get().done
    assert media.fetch_due(now + timedelta(hours=1)) == 0 and len(calls) == 2


def test_a_fetched_file_that_is_not_a_photo_is_given_up(city, monkeypatch):
    monkeypatch.setattr(media, "download", lambda url: b"<html>not a photo</html>")
    post({"MessageSid": "MM2", "From": PHONE, "Body": "x", "NumMedia": "1", "MediaUrl0": "https://api.twilio.com/m/2"},
         url=BASE + "sms")  # fmt: skip
    media.fetch_due()
    item = MediaFetch.objects.get()
    assert item.done and item.last_error and CasePhoto.objects.count() == 0


def close_sms_case(city):
    sms("垃圾满了", sid="SMsat")
    case = Case.objects.get()
    for action, who, params in [
        ("send_verify", "calltaker", {"inspector": "inspector1"}), ("verify", "inspector1", {"result": "exists"}),
        ("register", "supervisor", {}),
    ]:  # fmt: skip
        services.act(case.number, action, city.user(who), params=params)
    services.act(case.number, "dispatch", city.user("dispatcher"), params={"department": "huanwei"})
    services.act(case.number, "handle", city.user("staff_huanwei"), params={"note": "ok"}, photo_files=[jpeg()])
    # No place in the text, so no cell and no automatic check: a call-taker sends one.
    services.act(case.number, "send_check", city.user("calltaker"), params={"inspector": "inspector1"})
    services.act(case.number, "check", city.user("inspector1"), params={"result": "passed"})
    services.act(case.number, "close", city.user("supervisor"), params={})
    return Case.objects.get()


def test_satisfaction_callback_and_a_new_case_for_the_unsatisfied(city):
    from hotline.models import OutboundMessage

    case = close_sms_case(city)
    closing = OutboundMessage.objects.get(purpose="closed")
    assert "回复 1" in closing.body and "回复 2" in closing.body
    reply = reply_of(sms("2", sid="SMans"))
    assert "谢谢" in reply
    rating = Satisfaction.objects.get()
    assert rating.case == case and rating.satisfied is False
    new = satisfaction.reopen(rating, "仍有垃圾")
    assert new.pk != case.pk and case.number in new.description and new.reporter_phone == PHONE
    assert satisfaction.reopen(rating) == new  # once
    # A second answer rates nothing more: no other closed case waits.
    assert "谢谢" not in reply_of(sms("1", sid="SMans2"))


@pytest.mark.parametrize("num_media", ["x", "-"])
def test_bad_num_media_is_400(city, num_media):
    assert (
        post({"MessageSid": "MM3", "From": PHONE, "Body": "x", "NumMedia": num_media}, url=BASE + "sms").status_code
        == 400
    )


def test_hotline_admin_masks_numbers_for_admins_and_opens_new_cases(city, django_user_model, client):
    root = django_user_model.objects.create_superuser("root", password="x-12319-root")
    client.force_login(root)
    admin_client = client
    close_sms_case(city)
    sms("2", sid="SMadm")
    page = admin_client.get("/admin/hotline/satisfaction/").content.decode()
    assert "138****5678" in page or "+86*******5678" in page
    assert PHONE not in admin_client.get("/admin/hotline/inboundmessage/").content.decode()
    rating = Satisfaction.objects.get()
    r = admin_client.post(
        "/admin/hotline/satisfaction/", {"action": "open_new_case", "_selected_action": [rating.pk]}, follow=True
    )
    assert r.status_code == 200 and Satisfaction.objects.get().followup is not None


def test_a_call_taker_classifies_and_places_a_residents_report(city):
    from dispatch.models import CaseEvent as Event
    from tests.conftest import LAT, LNG

    speak("这边有个东西坏了", confidence="0.3")
    case = Case.objects.get()
    assert case.category.full_code == "E9999" and case.cell is None and case.needs_listening
    services.act(
        case.number, "classify", city.user("calltaker"),
        params={"category": "C0103", "lng": LNG, "lat": LAT, "address": "人民路12号"},
    )  # fmt: skip
    case.refresh_from_db()
    assert case.category.full_code == "C0103" and case.cell.code == "62040200100101" and case.state == "reported"
    assert not case.needs_listening  # 分类定位 follows the listening
    event = Event.objects.get(case=case, action="classify")
    assert event.data["from_category"] == "E9999" and event.data["cell"] == "62040200100101"
    assert event.data["listened"] is True
    with pytest.raises(Exception) as refused:
        services.act(case.number, "classify", city.user("dispatcher"), params={"category": "C0103"})
    assert refused.value.status == 403
