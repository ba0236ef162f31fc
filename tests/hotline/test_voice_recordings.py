"""Call recordings kept by the city: the completed recording is queued once, fetched by the worker
with the account's credentials (only requests' HTTP layer, under the twilio client, is replaced
by a fake Twilio), kept in the media storage, and played in the app at
/hotline/recordings/<case number> to call-takers and supervisors only; no page or feed a browser
gets ever carries Twilio's URL."""

import base64
import io
import logging
from datetime import timedelta

import pytest
import requests
import time_machine
import urllib3
from django.apps import apps as django_apps
from django.test import Client
from rest_framework.test import APIClient

from city.models import Place
from dispatch import services
from dispatch.models import Case
from dispatch.workflow import HOTLINE
from hotline import media
from hotline.models import MediaFetch, VoiceCall
from tests.conftest import LAT, LNG, T0
from tests.hotline.test_sms import PHONE, TOKEN, post, twilio_settings  # noqa: F401 (autouse fixture)
from tests.hotline.test_voice_mms import BASE
from tests.hotline.test_voice_speech import RECORDING, recording_callback, speak

# An MP3 as Twilio serves it: an ID3 tag, then MPEG frames (the bytes need not be playable here).
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes([0xFF, 0xFB, 0x90, 0x64]) + bytes(range(256)) * 4
ACCOUNT = "AC" + "0" * 32
EVERYONE = ["calltaker", "supervisor", "dispatcher", "leader", "admin", "inspector1", "staff_huanwei"]


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(T0, tick=False):
        yield


@pytest.fixture
def park(city):
    # The place puts the case in inspector1's grid: an inspector who may open the case page.
    return Place.objects.create(name="金鱼公园", kind="landmark", lng=LNG, lat=LAT)


class FakeTwilio:
    """requests' HTTP layer (what the twilio client sends through), replaced: records every
    request with its headers, answers the recording's MP3, or fails the ones asked."""

    def __init__(self, monkeypatch, body=MP3, fail=(), status=200, content_type="audio/mpeg", during=None):
        self.requests, self.body, self.fail, self.status = [], body, set(fail), status
        self.content_type, self.during = content_type, dict(during or {})
        monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", lambda adapter, request, **kw: self.send(request))

    def send(self, request):
        self.requests.append({"url": request.url, "authorization": request.headers.get("Authorization", "")})
        n = len(self.requests)
        if n in self.during:
            self.during.pop(n)()
        if n in self.fail:
            raise requests.ConnectionError("Connection reset by peer")
        response = requests.Response()
        response.status_code, response.url, response.request = self.status, request.url, request
        response.headers["Content-Type"] = self.content_type
        response.raw = urllib3.HTTPResponse(body=io.BytesIO(self.body), preload_content=False, status=self.status)
        return response


def report_by_voice():
    """A speech report recorded from its first step; the call then ends (recording complete)."""
    post({"CallSid": "CA0001", "From": PHONE, "Digits": "1"}, url=BASE + "voice/menu")
    recording_callback("in-progress")
    speak("金鱼公园门口的雨水井盖丢了")
    return Case.objects.get()


def as_user(city, who) -> Client:
    client = Client()
    client.force_login(city.user(who))
    return client


def listen(city, who, number):
    return as_user(city, who).get(f"/hotline/recordings/{number}")


def fetched_recording(city, monkeypatch):
    case = report_by_voice()
    recording_callback("completed")
    twilio = FakeTwilio(monkeypatch)
    assert media.fetch_due(T0) == 1
    return case, twilio


# --------------------------------------------------------------------------- queued once


def test_the_completed_recording_callback_queues_one_fetch(city, park):
    case = report_by_voice()
    assert not MediaFetch.objects.exists()  # in progress: nothing to fetch yet
    assert recording_callback("completed").status_code == 204
    assert recording_callback("completed").status_code == 204  # Twilio retried the callback
    (item,) = MediaFetch.objects.all()
    assert (item.kind, item.case, item.call, item.url) == ("recording", case, VoiceCall.objects.get(), RECORDING)
    assert item.next_attempt_at == T0 and not item.done


def test_a_recording_complete_before_the_case_is_filed_is_queued_with_the_case(city, park):
    post({"CallSid": "CA0001", "From": PHONE, "Digits": "1"}, url=BASE + "voice/menu")
    recording_callback("in-progress")
    recording_callback("completed")  # the caller hung up; the speech step still comes
    assert not MediaFetch.objects.exists()  # no case to keep it for yet
    speak("金鱼公园门口的雨水井盖丢了")
    assert MediaFetch.objects.get().case == Case.objects.get()


def test_a_voicemail_is_queued_when_it_is_recorded(city):
    params = {"CallSid": "CA0002", "From": PHONE, "RecordingUrl": RECORDING}
    post(params, url=BASE + "voice/recorded")
    post(params, url=BASE + "voice/recorded")  # retried
    item = MediaFetch.objects.get()
    assert item.kind == "recording" and item.url == RECORDING and item.case.needs_listening


# --------------------------------------------------------------------------- the worker


def test_the_worker_keeps_the_audio_fetched_with_the_accounts_credentials(city, park, monkeypatch):
    report_by_voice()
    recording_callback("completed")
    twilio = FakeTwilio(monkeypatch)
    django_apps.get_app_config("hotline").worker_job()  # the worker's pass (manage.py run_worker)
    (request,) = twilio.requests
    assert request["url"] == RECORDING + ".mp3"
    assert request["authorization"] == "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
    call = VoiceCall.objects.get()
    with call.recording_file.open("rb") as kept:
        assert kept.read() == MP3
    assert call.recording_file.name.startswith("recordings/2026/11/") and call.recording_fetched_at == T0
    assert MediaFetch.objects.get().done
    assert media.fetch_due(T0 + timedelta(hours=1)) == 0 and len(twilio.requests) == 1  # once


def test_a_failing_fetch_is_retried_with_backoff_and_not_duplicated(city, park, monkeypatch):
    report_by_voice()
    recording_callback("completed")
    second_worker = []
    # The first request fails in the network; while it is in flight another worker finds it taken.
    twilio = FakeTwilio(monkeypatch, fail={1}, during={1: lambda: second_worker.append(media.fetch_due(T0))})
    assert media.fetch_due(T0) == 0 and second_worker == [0]
    item = MediaFetch.objects.get()
    assert item.attempts == 1 and not item.done and "Connection reset" in item.last_error
    assert item.next_attempt_at == T0 + timedelta(minutes=2)
    assert media.fetch_due(T0 + timedelta(minutes=1)) == 0 and len(twilio.requests) == 1  # not due yet
    recording_callback("completed")  # a late retry of the callback queues nothing more
    assert media.fetch_due(T0 + timedelta(minutes=2)) == 1
    assert len(twilio.requests) == 2 and MediaFetch.objects.count() == 1
    with VoiceCall.objects.get().recording_file.open("rb") as kept:
        assert kept.read() == MP3


def test_a_fetch_is_given_up_after_its_attempts_and_logged(city, park, monkeypatch, caplog):
    case = report_by_voice()
    recording_callback("completed")
    twilio = FakeTwilio(monkeypatch, status=404, body=b'{"code": 20404}', content_type="application/json")
    now = T0
    with caplog.at_level(logging.WARNING, logger="hotline.media"):
        for _attempt in range(media.MAX_ATTEMPTS):
            assert media.fetch_due(now) == 0
            now = MediaFetch.objects.get().next_attempt_at
    item = MediaFetch.objects.get()
    assert item.done and item.attempts == media.MAX_ATTEMPTS and "404" in item.last_error
    assert len(twilio.requests) == media.MAX_ATTEMPTS and media.fetch_due(now + timedelta(days=1)) == 0
    assert [r.levelname for r in caplog.records][-1] == "ERROR" and "given up" in caplog.records[-1].getMessage()
    assert not VoiceCall.objects.get().recording_file
    page = as_user(city, "supervisor").get(f"/cases/{case.number}/").content.decode()
    assert "录音未能取回" in page and "<audio" not in page


@pytest.mark.parametrize(
    ("body", "content_type", "error"),
    [(b"<html>Not Found</html>", "text/html", "不是 MP3"), (MP3 * 4, "audio/mpeg", "超过")],
)
def test_what_is_not_audio_or_too_large_is_given_up_at_once(city, park, monkeypatch, body, content_type, error):
    monkeypatch.setattr(media, "MAX_RECORDING_BYTES", len(MP3) * 2)
    report_by_voice()
    recording_callback("completed")
    FakeTwilio(monkeypatch, body=body, content_type=content_type)
    assert media.fetch_due(T0) == 0
    item = MediaFetch.objects.get()
    assert item.done and item.attempts == 1 and error in item.last_error
    assert not VoiceCall.objects.get().recording_file


# --------------------------------------------------------------------------- the player


def test_the_recording_streams_to_call_takers_and_supervisors(city, park, monkeypatch):
    case, _twilio = fetched_recording(city, monkeypatch)
    for who in ("calltaker", "supervisor"):
        response = listen(city, who, case.number)
        assert response.status_code == 200 and b"".join(response.streaming_content) == MP3
        assert response["Content-Type"] == "audio/mpeg"
        assert response["Content-Disposition"] == f'inline; filename="{case.number}.mp3"'
        assert response["Cache-Control"] == "private, no-store"


def test_a_player_seeks_with_a_range(city, park, monkeypatch):
    case, _twilio = fetched_recording(city, monkeypatch)
    client, size = as_user(city, "calltaker"), len(MP3)

    def get(header):
        return client.get(f"/hotline/recordings/{case.number}", HTTP_RANGE=header)

    part = get("bytes=10-19")
    assert part.status_code == 206 and part.content == MP3[10:20] and part["Content-Range"] == f"bytes 10-19/{size}"
    assert part["Content-Type"] == "audio/mpeg" and part["Cache-Control"] == "private, no-store"
    assert get("bytes=-5").content == MP3[-5:] and get(f"bytes={size - 3}-").content == MP3[-3:]
    assert get(f"bytes=0-{size * 9}")["Content-Range"] == f"bytes 0-{size - 1}/{size}"
    past = get(f"bytes={size}-")
    assert past.status_code == 416 and past["Content-Range"] == f"bytes */{size}"
    for odd in ("bytes=0-1,5-6", "bytes=²-", "bytes=9-3", "items=0-1", "bytes=-", "bytes=" + "9" * 40 + "-"):
        whole = get(odd)
        assert whole.status_code == 200 and b"".join(whole.streaming_content) == MP3, odd
    assert get("")["Accept-Ranges"] == "bytes"


def test_other_roles_are_refused_the_recording(city, park, monkeypatch):
    case, _twilio = fetched_recording(city, monkeypatch)
    assert case in services_visible(city, "inspector1")  # the case is the inspector's to see …
    for who in ("staff_huanwei", "inspector1", "dispatcher", "leader", "admin"):
        response = listen(city, who, case.number)
        assert response.status_code == 403 and MP3 not in response.content  # … not to hear
    anonymous = Client().get(f"/hotline/recordings/{case.number}")
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]


def services_visible(city, who):
    from dispatch.access import visible_cases

    return visible_cases(city.user(who))


def test_before_it_is_fetched_and_for_an_unknown_case_the_answer_is_404(city, park, monkeypatch):
    case = report_by_voice()
    waiting = listen(city, "calltaker", case.number)
    assert waiting.status_code == 404 and "录音尚未取回" in waiting.content.decode()
    assert "Location" not in waiting and "twilio" not in waiting.content.decode().lower()  # no redirect
    english = as_user(city, "calltaker").get(f"/hotline/recordings/{case.number}", HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 404 and "has not been fetched yet" in english.content.decode()
    assert listen(city, "supervisor", "E0000000000000000").status_code == 404
    other = services.report_case(actor=city.user("calltaker"), source="call_taker", category="E0102")[0]
    assert listen(city, "supervisor", other.number).status_code == 404  # a case with no recording


@pytest.mark.parametrize(
    "path",
    ["x" * 5000, "E0102%20OR%201=1", "..%2F..%2Fetc%2Fpasswd", "%E2%80%AE", "%FF%FE", "E0102%00", "'\";<script>"],
)
def test_bad_input_is_never_a_5xx(city, park, monkeypatch, path):
    fetched_recording(city, monkeypatch)
    for who in ("supervisor", "inspector1"):
        response = as_user(city, who).get(f"/hotline/recordings/{path}")
        assert 400 <= response.status_code < 500
    assert as_user(city, "supervisor").post(f"/hotline/recordings/{Case.objects.get().number}").status_code == 405
    # A NUL is refused before any query (PostgreSQL would raise on it: a 500).
    nul = as_user(city, "supervisor").get("/hotline/recordings/E0102%00")
    assert nul.status_code == 400 and "NUL" in nul.content.decode()


# --------------------------------------------------------------------------- the case page


def test_the_case_page_plays_it_to_a_supervisor_and_shows_twilios_url_to_no_one(city, park, monkeypatch):
    case, _twilio = fetched_recording(city, monkeypatch)
    player = f'<audio class="recording" controls preload="none" src="/hotline/recordings/{case.number}">'
    for who in EVERYONE:
        client = as_user(city, who)
        for url in (f"/cases/{case.number}/", f"/cases/{case.number}/print/"):
            response = client.get(url)
            if response.status_code == 404:  # a department sees only its own cases
                continue
            page = response.content.decode()
            assert "twilio.com" not in page and RECORDING not in page
            may_hear = who in ("calltaker", "supervisor")
            assert (player in page) is (may_hear and "print" not in url), (who, url)
            assert "<audio" not in page or may_hear
    assert "待听录音" not in as_user(city, "supervisor").get(f"/cases/{case.number}/").content.decode()


def test_the_handset_api_never_carries_twilios_url(city, park, monkeypatch):
    case, _twilio = fetched_recording(city, monkeypatch)
    # An evidence event written before the city kept recordings carried the URL in its data.
    services.record_evidence(case, role=HOTLINE, note="通话录音", data={"recording_url": RECORDING})
    api = APIClient()
    api.force_authenticate(city.user("inspector1"))
    response = api.get(f"/api/v1/cases/{case.number}")
    assert response.status_code == 200 and len(response.json()["timeline"]) == 2
    assert "twilio.com" not in response.content.decode()


# --------------------------------------------------------------------------- calls filed before


def test_the_data_migration_queues_recordings_filed_before_once(city, park):
    import importlib

    case = report_by_voice()  # its recording still in progress: as calls were kept before
    VoiceCall.objects.create(call_sid="CA0009", phone=PHONE, recording_url=RECORDING + "9")  # no case: never kept
    migration = importlib.import_module("hotline.migrations.0006_voice_recording_kept")
    for _twice in range(2):  # idempotent
        migration.queue_known_recordings(django_apps, None)
        (item,) = MediaFetch.objects.all()
        assert (item.kind, item.case, item.url, item.call.call_sid) == ("recording", case, RECORDING, "CA0001")
    assert VoiceCall.objects.get(call_sid="CA0001").recording_complete
