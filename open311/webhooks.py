"""Status webhooks (办理结果反馈): every public step of a client's case is queued in the case's own
transaction (a durable outbox), then POSTed by the worker as JSON signed with HMAC-SHA256:

    X-Citymgmt-Timestamp: 1764550000
    X-Citymgmt-Signature: sha256=hex(HMAC(secret, "1764550000." + body))

The timestamp is inside the signature, so a captured request cannot be replayed later. One row per
(client, event) — a unique constraint — so a step is queued once; the worker sends a case's steps
in event order (a step waits while an earlier one of the same case is pending) and retries with
backoff. A receiver should treat `X-Citymgmt-Event` as the dedupe key: a worker that dies between
the receiver's 2xx and recording it sends that step again.
"""

import hashlib
import hmac
import json
import logging
import time
from datetime import timedelta

import requests
from django.db.models import Exists, OuterRef
from django.dispatch import receiver
from django.utils import timezone, translation

from citymgmt import leases
from dispatch.models import Source
from dispatch.signals import case_event_written

from . import public
from .georeport import w3c
from .models import FiledRequest, WebhookDelivery

logger = logging.getLogger("open311.webhooks")
MAX_ATTEMPTS = 10
BATCH = 50
LEASE = timedelta(minutes=5)
TIMEOUT_S = 10
ROUNDS = 10


@receiver(case_event_written)
def queue_step(sender, event, case, **kwargs):
    """Inside the case's transaction: the delivery exists if and only if the step commits."""
    # Only Open311 requests are filed by a client (georeport, source open311), and only after their
    # report event: no query for every other case and event.
    if case.source != Source.OPEN311 or event.action == "report" or public.step_kind(event) is None:
        return
    filed = FiledRequest.objects.filter(case_id=case.pk).select_related("client").first()
    if filed is None or not filed.client.callback_url or not filed.client.active:
        return
    with translation.override("zh-hans"):
        step = public.step(event, case)
        payload = {
            "event_id": event.id,
            "service_request_id": case.number,
            "step": step["kind"],
            "label": str(step["label"]),
            "status": step["status"],
            "status_notes": public.status_notes(case),
            "note": step["note"],
            "agency_responsible": step["department"],
            "updated_datetime": w3c(event.created_at),
        }
    WebhookDelivery.objects.create(
        client=filed.client,
        case=case,
        event_id=event.id,
        payload=payload,
        next_attempt_at=event.created_at,
        created_at=event.created_at,
    )


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def deliver_due(now=None) -> int:
    """One pass of the worker: send the due steps that have no earlier pending step of the same
    case and client; returns how many were delivered. No transaction is held while a receiver answers."""
    now = now or timezone.now()
    earlier = WebhookDelivery.objects.filter(
        client=OuterRef("client"),
        case=OuterRef("case"),
        event_id__lt=OuterRef("event_id"),
        status=WebhookDelivery.Status.PENDING,
    )
    heads = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING).filter(~Exists(earlier))
    sent = 0
    for _round in range(ROUNDS):  # a delivered step lets the case's next one go in the next round
        sent_now = 0
        for pk in leases.claim_due(heads, now=now, lease=LEASE, batch=BATCH, status=WebhookDelivery.Status.PENDING):
            delivery = WebhookDelivery.objects.select_related("client").get(pk=pk)
            try:
                sent_now += _send_one(delivery, now)
            except Exception:
                logger.exception("webhook %s: failed unexpectedly; retried after the lease", pk)
        sent += sent_now
        if not sent_now:
            break
    return sent


def _send_one(delivery, now) -> int:
    client = delivery.client
    body = json.dumps(delivery.payload, ensure_ascii=False, sort_keys=True).encode()
    stamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "citymgmt-webhooks/1",
        "X-Citymgmt-Event": str(delivery.event_id),
        "X-Citymgmt-Timestamp": stamp,
        "X-Citymgmt-Signature": signature(client.callback_secret, stamp, body),
    }
    code = None
    try:
        response = requests.post(
            client.callback_url, data=body, headers=headers, timeout=TIMEOUT_S, allow_redirects=False
        )
        code = response.status_code
        if 200 <= code < 300:
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                status=WebhookDelivery.Status.DELIVERED, delivered_at=now, last_status_code=code, last_error=""
            )
            return 1
        error = f"HTTP {code}"
    except requests.RequestException as exc:
        error = str(exc)
    give_up = delivery.attempts >= MAX_ATTEMPTS
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.FAILED if give_up else WebhookDelivery.Status.PENDING,
        last_status_code=code,
        last_error=error[:500],
        next_attempt_at=now + timedelta(minutes=min(2**delivery.attempts, 360)),  # 2, 4, 8 … minutes, ≤ 6 h
    )
    logger.warning("webhook %s to %s failed (attempt %d): %s", delivery.pk, client.name, delivery.attempts, error)
    return 0
