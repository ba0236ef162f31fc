"""Issue 13, points 7 and 8 under real concurrency: threads at once on PostgreSQL (SQLite
serialises writers). Twilio delivers at least once, sometimes twice at the same moment; several
workers may send at once."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from dispatch.models import Case
from hotline import outbox, sms
from hotline.models import InboundMessage, OutboundMessage
from tests.dispatch.test_concurrency import run_together
from tests.hotline.test_outbox_claims import FlakyHttpClient, queue_messages, twilio  # noqa: F401 (fixture)
from tests.hotline.test_sms import PHONE, twilio_settings  # noqa: F401 (autouse fixture)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL (set DATABASE_URL); SQLite serialises writers")


@pytest.mark.parametrize("round_", range(3))
def test_point7_one_message_sid_delivered_12_times_at_once_files_one_case(city, round_):
    """A new number: the 12 deliveries are one message, well within the hourly limit."""
    phone = f"+861390000{round_:04d}"
    results = run_together(*[lambda: sms.receive(f"SMrace{round_}", phone, "人民路路灯坏了")] * 12)
    assert all(kind == "ok" for kind, _reply in results), results
    case = Case.objects.get()
    assert {reply for _kind, reply in results} == {InboundMessage.objects.get().reply}
    assert case.number in results[0][1] and InboundMessage.objects.get().kind == "report"


def test_point7_six_messages_each_delivered_twice_at_once_file_six_cases(city, settings):
    settings.HOTLINE_SMS_PER_HOUR = 10
    deliveries = [(f"SMtwice{i}", f"问题 {i}") for i in range(6)] * 2
    results = run_together(*[lambda sid=sid, body=body: sms.receive(sid, PHONE, body) for sid, body in deliveries])
    assert all(kind == "ok" for kind, _reply in results), results
    assert Case.objects.count() == 6 and InboundMessage.objects.filter(kind="report").count() == 6
    # The limit counted six messages, not twelve deliveries: four more reports still go through.
    for i in range(4):
        sms.receive(f"SMmore{i}", PHONE, f"又一个问题 {i}")
    assert Case.objects.count() == 10
    assert "过多" in sms.receive("SMover", PHONE, "第十一个问题")


def test_point8_two_workers_at_once_and_a_network_error_send_each_message_once(city, twilio):  # noqa: F811
    now = timezone.now()
    messages = queue_messages(8, now)
    http = twilio(FlakyHttpClient(fail={3}))
    results = run_together(lambda: outbox.send_due(now), lambda: outbox.send_due(now))
    assert all(kind == "ok" for kind, _sent in results), results
    assert sum(sent for _kind, sent in results) == 7
    assert not any(r["in_transaction"] for r in http.requests)
    assert outbox.send_due(now + timedelta(minutes=3)) == 1
    assert http.delivered() == {m.to: 1 for m in messages} and len(http.requests) == 9
    assert OutboundMessage.objects.filter(status="sent").count() == 8


def test_issue20_one_speech_step_delivered_8_times_at_once_files_one_case(city):
    """Twilio retries the speech step (a slow answer): the call's row is locked while the case is
    filed, so every delivery reads back the one case's number."""
    from hotline import voice
    from hotline.models import VoiceCall

    def deliver():
        call = voice.call_for("CArace", "13812345678")
        return str(voice.speech(call, "人民路路灯坏了", "0.9"))

    results = run_together(*[deliver] * 8)
    assert all(kind == "ok" for kind, _twiml in results), results
    case = Case.objects.get()
    assert VoiceCall.objects.get().case == case and case.reporter_phone == PHONE
    assert len({answer for _kind, answer in results}) == 1
