"""Status webhooks (signed, retried, once each, in order) and media_url photos fetched by the worker."""

import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine

from dispatch import services
from open311 import georeport, media, webhooks
from open311.models import ApiClient, MediaFetch, WebhookDelivery
from tests.conftest import LAT, LNG, T0, jpeg

SECRET = "s3cret-for-12345"


class Receiver:
    """A callback receiver that checks signatures the way the README tells clients to."""

    def __init__(self, fail_first=0, body=b"", content_type="application/json"):
        self.fail_first, self.calls, self.accepted, self.bad = fail_first, 0, [], []
        self.body, self.content_type = body, content_type
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", outer.content_type)
                self.end_headers()
                self.wfile.write(outer.body)

            def do_POST(self):
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                outer.calls += 1
                if not outer.verify(raw, self.headers):
                    outer.bad.append(raw)
                    self.send_response(401)
                elif outer.calls <= outer.fail_first:
                    self.send_response(500)
                else:
                    outer.accepted.append((self.headers["X-Citymgmt-Event"], json.loads(raw)))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @staticmethod
    def verify(body: bytes, headers, max_age=300) -> bool:
        stamp, given = headers.get("X-Citymgmt-Timestamp", ""), headers.get("X-Citymgmt-Signature", "")
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > max_age:
            return False
        expected = "sha256=" + hmac.new(SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, given)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver(fail_first=2)
    yield r
    r.close()


def _client(url):
    client = ApiClient(name="12345", source_label="12345", callback_url=url, callback_secret=SECRET)
    client.new_key()
    client.save()
    return client


def _file(client, **extra):
    params = {"service_code": "E0102", "lat": str(LAT), "long": str(LNG), "description": "垃圾", **extra}
    return services.get_case(georeport.file_request(client, params)[0]["service_request_id"])


def test_every_public_step_is_delivered_signed_once_in_order_after_two_failures(city, receiver):
    with time_machine.travel(T0, tick=False):
        client = _client(receiver.url)
        case = _file(client)
        n = case.number
        services.act(n, "send_verify", city.user("calltaker"), params={"inspector": "inspector1"})
        services.act(n, "verify", city.user("inspector1"), params={"result": "exists"})
        services.act(n, "register", city.user("supervisor"))
        services.act(n, "dispatch", city.user("dispatcher"), params={"department": "huanwei"})
        services.act(n, "handle", city.user("staff_huanwei"), params={"note": "已清理"}, photo_files=[jpeg()])
        services.act(n, "check", city.user("inspector1"), params={"result": "passed"})
        services.act(n, "close", city.user("supervisor"))
        queued = list(WebhookDelivery.objects.order_by("event_id").values_list("payload__step", flat=True))
        assert queued == ["registered", "dispatched", "handled", "closed"]  # the report itself was answered

        assert webhooks.deliver_due() == 0  # the first step fails; the later ones wait behind it
        assert receiver.calls == 1 and receiver.accepted == []
        assert webhooks.deliver_due() == 0  # not due yet: backoff
        assert receiver.calls == 1
    with time_machine.travel(T0 + timedelta(minutes=3), tick=False):
        assert webhooks.deliver_due() == 0  # second failure
    for minutes in (8, 20, 40):
        with time_machine.travel(T0 + timedelta(minutes=minutes), tick=False):
            webhooks.deliver_due()
    assert receiver.bad == []
    steps = [(p["step"], p["service_request_id"], p["status"]) for _, p in receiver.accepted]
    assert steps == [
        ("registered", n, "open"),
        ("dispatched", n, "open"),
        ("handled", n, "open"),
        ("closed", n, "closed"),
    ]
    event_ids = [int(e) for e, _ in receiver.accepted]
    assert event_ids == sorted(event_ids) and len(set(event_ids)) == 4
    assert receiver.accepted[1][1]["agency_responsible"] == "环卫"
    assert receiver.calls == 6  # two failures, then each step exactly once
    first = WebhookDelivery.objects.order_by("event_id").first()
    assert (first.status, first.attempts, first.last_status_code) == ("delivered", 3, 204)
    with time_machine.travel(T0 + timedelta(hours=5), tick=False):
        assert webhooks.deliver_due() == 0
    assert receiver.calls == 6


def test_a_rejection_carries_its_reason_and_a_tampered_body_fails_the_check(city, receiver):
    receiver.fail_first = 0
    with time_machine.travel(T0, tick=False):
        client = _client(receiver.url)
        case = _file(client)
        services.act(case.number, "reject", city.user("calltaker"), params={"reason": "不在管辖范围"})
        assert webhooks.deliver_due() == 1
    ((_, payload),) = receiver.accepted
    assert payload["step"] == "rejected" and payload["note"] == "不在管辖范围" and payload["status"] == "closed"
    body = json.dumps(payload).encode()
    stamp = str(int(time.time()))
    headers = {"X-Citymgmt-Timestamp": stamp, "X-Citymgmt-Signature": webhooks.signature(SECRET, stamp, body)}
    assert Receiver.verify(body, headers)
    assert not Receiver.verify(body + b" ", headers)
    assert not Receiver.verify(body, {**headers, "X-Citymgmt-Timestamp": str(int(stamp) - 3600)})


def test_clients_without_a_callback_get_nothing_queued(city):
    with time_machine.travel(T0, tick=False):
        client = _client("")
        case = _file(client)
        services.act(case.number, "reject", city.user("calltaker"), params={"reason": "x"})
    assert not WebhookDelivery.objects.exists()


def test_media_url_is_fetched_by_the_worker_not_during_the_request(city, settings):
    settings.OPEN311_MEDIA_ALLOW_PRIVATE = True
    photo = Receiver(body=jpeg().read(), content_type="image/jpeg")
    try:
        with time_machine.travel(T0, tick=False):
            client = _client("")
            case = _file(client, media_url=photo.url)
            assert case.photos.count() == 0 and MediaFetch.objects.get().url == photo.url
            assert media.fetch_due() == 1
            assert media.fetch_due() == 0
        assert case.photos.count() == 1
        assert case.events.filter(action="evidence").get().data["media_url"] == photo.url
    finally:
        photo.close()


def test_media_url_into_a_private_network_is_given_up(city):
    with time_machine.travel(T0, tick=False):
        client = _client("")
        case = _file(client, media_url="http://127.0.0.1:9/secret.jpg")
        assert media.fetch_due() == 0
    item = MediaFetch.objects.get()
    assert item.done and "not a public address" in item.last_error
    assert case.photos.count() == 0
