"""Issue 13, point 8: outbound work runs outside any transaction. Each SMS is claimed alone (a
conditional UPDATE with a lease), sent through the real twilio Client (only its HTTP layer is
replaced here), and its result recorded in a short write; MMS photos are claimed the same way."""

import io
import json
import threading
from datetime import timedelta

import pytest
import requests
import urllib3
from django.db import connection
from django.utils import timezone
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response

from dispatch.models import Case, CasePhoto
from hotline import backends, media, outbox
from hotline.models import MediaFetch, OutboundMessage
from tests.conftest import jpeg
from tests.hotline.test_sms import PHONE, post, twilio_settings  # noqa: F401 (autouse fixture)


class Crash(BaseException):
    """The worker process dying mid-send (nothing of ours catches it)."""


class FlakyHttpClient(TwilioHttpClient):
    """Twilio's HTTP layer: records every request, fails the ones asked (as the network does), can
    run another worker while a request is in flight, and notes whether a transaction was open."""

    def __init__(self, fail=(), crash=(), during=None):
        super().__init__()
        self.requests, self.fail, self.crash, self.during = [], set(fail), set(crash), dict(during or {})
        self.lock = threading.Lock()

    def request(self, method, uri, params=None, data=None, headers=None, auth=None, timeout=None, **kwargs):
        with self.lock:
            n = len(self.requests) + 1
            entry = {"n": n, "to": data["To"], "ok": False, "in_transaction": connection.in_atomic_block}
            self.requests.append(entry)
        if n in self.during:
            self.during.pop(n)()
        if n in self.crash:
            raise Crash
        if n in self.fail:
            raise requests.ConnectionError("Connection reset by peer")
        entry["ok"] = True
        body = {"sid": f"SM{n:032d}", "status": "queued", "to": data["To"], "body": data["Body"]}
        return Response(201, json.dumps(body))

    def delivered(self):
        """How often each number was really sent to."""
        counts = {}
        for r in self.requests:
            counts[r["to"]] = counts.get(r["to"], 0) + r["ok"]
        return counts


def queue_messages(n, now):
    return [
        OutboundMessage.objects.create(
            to=f"+86137000000{i:02d}", body=f"消息 {i}", purpose="registered", next_attempt_at=now
        )
        for i in range(n)
    ]


@pytest.fixture
def twilio(settings, monkeypatch):
    settings.SMS_BACKEND = "twilio"

    def use(http):
        monkeypatch.setattr(backends.TwilioBackend, "http_client", http)
        return http

    return use


@pytest.mark.django_db(transaction=True)
def test_point8_two_workers_and_a_network_error_after_the_third_send_send_each_message_once(city, twilio):
    now = timezone.now()
    messages = queue_messages(5, now)
    # Worker A sends the first message, and while Twilio answers its second, worker B runs a pass;
    # the fourth request (B's second send, after three went out) fails in the network.
    http = twilio(FlakyHttpClient(fail={4}, during={2: lambda: outbox.send_due(now)}))
    outbox.send_due(now)
    assert not any(r["in_transaction"] for r in http.requests)  # nobody held a transaction over Twilio
    sent = {m.to: m for m in OutboundMessage.objects.all()}
    assert sum(m.status == "sent" for m in sent.values()) == 4
    failed = next(m for m in sent.values() if m.status == "queued")
    assert failed.attempts == 1 and "ConnectionError" in failed.last_error and failed.next_attempt_at > now
    assert outbox.send_due(now + timedelta(seconds=30)) == 0  # not due yet
    assert outbox.send_due(now + timedelta(minutes=3)) == 1  # retried later
    assert http.delivered() == {m.to: 1 for m in messages}  # every message exactly once
    assert len(http.requests) == 6 and OutboundMessage.objects.filter(status="sent").count() == 5
    assert len(set(OutboundMessage.objects.values_list("sid", flat=True))) == 5


@pytest.mark.django_db(transaction=True)
def test_point8_a_message_whose_worker_died_mid_send_is_retaken_after_the_lease(city, twilio):
    now = timezone.now()
    (message,) = queue_messages(1, now)
    http = twilio(FlakyHttpClient(crash={1}))
    with pytest.raises(Crash):
        outbox.send_due(now)
    assert outbox.send_due(now + timedelta(minutes=1)) == 0  # still leased to the dead worker
    assert len(http.requests) == 1
    assert outbox.send_due(now + outbox.LEASE + timedelta(seconds=1)) == 1
    message.refresh_from_db()
    assert message.status == "sent" and message.attempts == 2 and len(http.requests) == 2


@pytest.mark.django_db(transaction=True)
def test_point8_an_error_part_way_keeps_what_was_sent_as_sent(city, twilio):
    now = timezone.now()
    queue_messages(3, now)
    http = twilio(FlakyHttpClient(crash={3}))
    with pytest.raises(Crash):
        outbox.send_due(now)
    assert OutboundMessage.objects.filter(status="sent").count() == 2  # not rolled back
    outbox.send_due(now + outbox.LEASE + timedelta(seconds=1))
    assert set(http.delivered().values()) == {1}


def fake_twilio_media(monkeypatch, during=None):
    """requests' HTTP layer replaced: media URLs answer a small JPEG."""
    calls = []
    content = jpeg().read()

    def send(adapter, request, **kwargs):
        calls.append(request.url)
        if during:
            during.pop()()
        response = requests.Response()
        response.status_code, response.url, response.request = 200, request.url, request
        response.raw = urllib3.HTTPResponse(body=io.BytesIO(content), preload_content=False, status=200)
        return response

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", send)
    return calls


@pytest.mark.django_db(transaction=True)
def test_point8_an_mms_photo_is_claimed_before_it_is_fetched(city, monkeypatch):
    post({"MessageSid": "MMclaim", "From": PHONE, "Body": "井盖丢了", "NumMedia": "1",
          "MediaUrl0": "https://api.twilio.com/media/ME1"}, url="http://testserver/hotline/twilio/sms")  # fmt: skip
    now = timezone.now()
    second_worker = []
    calls = fake_twilio_media(monkeypatch, during=[lambda: second_worker.append(media.fetch_due(now))])
    assert media.fetch_due(now) == 1
    assert second_worker == [0] and len(calls) == 1  # the other worker found it taken
    assert CasePhoto.objects.filter(case=Case.objects.get()).count() == 1 and MediaFetch.objects.get().done
