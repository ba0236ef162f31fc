"""Residents kept informed: SMS queued in the transaction that changes their case, sent by the
worker with retries (a durable outbox: a crash between commit and send loses nothing)."""

import logging
from datetime import timedelta

from django.dispatch import receiver
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from city.privacy import mask_phone
from citymgmt import leases
from dispatch.duplicates import reporters_to_tell
from dispatch.models import State, WorkflowSettings
from dispatch.models.cases import PUBLIC_SOURCES
from dispatch.signals import case_event_written

from . import backends
from .models import OptOut, OutboundMessage

logger = logging.getLogger("hotline.outbox")

MAX_ATTEMPTS = 6
BATCH = 50
# A claimed message is not due again for this long: ample for one send; after it, a message whose
# worker died mid-send is claimed again by the next pass.
LEASE = timedelta(minutes=5)


def _message(event, case) -> tuple[str, str] | None:
    """(purpose, text) for the events residents hear about, or None."""
    if event.action == "register" and case.state != State.CLOSED:
        return "registered", _("您报告的问题已立案，案卷号 %(n)s，我们会尽快处理。") % {"n": case.number}
    if event.action == "merge":
        return "merged", _("您报告的问题已与案卷 %(m)s 合并处理，可用该号码查询进度。") % {
            "m": case.duplicate_of.number
        }
    if event.action == "reject":
        return "rejected", _("您报告的问题（%(n)s）不予立案：%(r)s") % {"n": case.number, "r": event.note}
    if event.to_state == State.CLOSED and event.from_state != State.CLOSED:
        return "closed", _("您报告的问题（%(n)s）已处理完毕并经核查结案。满意请回复 1，不满意请回复 2。") % {
            "n": case.number
        }
    return None


@receiver(case_event_written)
def queue_for_residents(sender, event, case, **kwargs):
    """Inside the case's transaction: the SMS is queued if and only if the change commits."""
    for told in reporters_to_tell(case) if event.to_state == State.CLOSED else [case]:
        if told.source not in PUBLIC_SOURCES or not told.reporter_phone:
            continue
        with translation.override("zh-hans"):
            found = _message(event, told if told.pk == case.pk else case)
        if found is None:
            continue
        purpose, text = found
        OutboundMessage.objects.create(
            to=told.reporter_phone, body=text, case=told, purpose=purpose, next_attempt_at=event.created_at
        )


def send_due(now=None) -> int:
    """One pass of the worker: send what is due; returns how many went out.

    No transaction is held while Twilio answers (on SQLite that would hold the write lock; and an
    error part-way would roll back the rows of messages already sent, which would go out again).
    Each message is claimed alone (a conditional UPDATE that one worker wins), sent, then its result
    recorded in a short write. The claim is a lease: a worker that dies mid-send leaves its message
    due again after LEASE, so it is retried, not lost."""
    now = now or timezone.now()
    queued = OutboundMessage.objects.filter(status=OutboundMessage.Status.QUEUED)
    sent = 0
    for pk in leases.claim_due(queued, now=now, lease=LEASE, batch=BATCH, status=OutboundMessage.Status.QUEUED):
        message = OutboundMessage.objects.get(pk=pk)
        try:
            sent += _send_one(message, now)
        except Exception:
            # A fault of ours (not the network's): the lease expires and the message is tried again.
            logger.exception("sms %s: sending failed unexpectedly; retried after the lease", pk)
    return sent


def _send_one(message, now) -> int:
    """Send a claimed message (outside any transaction) and record the result."""
    if OptOut.objects.filter(phone=message.to, opted_out=True).exists():
        _record(message, status=OutboundMessage.Status.SKIPPED)
        return 0
    try:
        sid = backends.backend().send(message.to, message.body)
    except backends.SendFailed as exc:  # its text is masked already
        if message.attempts >= MAX_ATTEMPTS:
            _record(message, status=OutboundMessage.Status.FAILED, last_error=str(exc)[:500])
        else:  # 2, 4, 8 … minutes
            _record(message, last_error=str(exc)[:500], next_attempt_at=now + timedelta(minutes=2**message.attempts))
        logger.warning(
            "sms %s to %s failed (attempt %d): %s", message.pk, mask_phone(message.to), message.attempts, exc
        )
        return 0
    _record(message, status=OutboundMessage.Status.SENT, sid=sid or None, sent_at=now)
    return 1


def _record(message, **changes) -> None:
    """The result of one claimed send, in one short write (autocommit: one UPDATE)."""
    OutboundMessage.objects.filter(pk=message.pk).update(**changes)


# Delivery reports may arrive out of order; keep the furthest one.
STATUS_RANK = {"queued": 0, "accepted": 0, "sending": 1, "sent": 2, "undelivered": 3, "failed": 3, "delivered": 4}


def record_status(sid: str, status: str) -> bool:
    """A signed status callback: move the message forward, never back. False if unknown."""
    status = (status or "").lower()
    if status not in STATUS_RANK:
        return False
    message = OutboundMessage.objects.filter(sid=sid).first()
    if message is None:
        return False
    current = STATUS_RANK.get(message.status, 0)
    if STATUS_RANK[status] > current:
        mapped = {"delivered": "delivered", "undelivered": "undelivered", "failed": "failed"}.get(status, "sent")
        OutboundMessage.objects.filter(pk=message.pk).update(status=mapped)
    return True


@receiver(case_event_written)
def queue_for_leaders(sender, event, case, **kwargs):
    """An automatic escalation (督办 by the system) is texted to the number the city configured,
    in the same transaction as the order."""
    if event.action != "supervise" or event.actor_role != "system":
        return
    number = WorkflowSettings.current().leader_sms_number.strip()
    if not number:
        return
    with translation.override("zh-hans"):
        text = _("案卷 %(n)s（%(c)s）红灯超时未处置，已自动督办，请关注。") % {
            "n": case.number,
            "c": case.category.name,
        }
    OutboundMessage.objects.create(
        to=number, body=text, case=case, purpose="escalated", next_attempt_at=event.created_at
    )
