"""回访: after closure the resident is asked to reply 1 (satisfied) or 2 (not); a "not" is shown to
supervisors, who may open a new case linked to the old one."""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from city import phones
from citymgmt.errors import Conflict
from dispatch import services
from dispatch.models import Case, Source
from dispatch.workflow import HOTLINE

from .models import OutboundMessage, Satisfaction

ANSWER_WINDOW = timedelta(days=7)


def answer(phone: str, satisfied: bool):
    """Rate the case of the latest closing notice (回访 question) sent to this number in the last
    week and not answered yet: the resident's own case, or their report merged into the case that
    was closed. None when no question waits (a notice never sent, to an opted-out number, asks none).
    The number is matched in its one stored form, however it is written here."""
    phone = phones.stored_form(phone)
    asked = (
        OutboundMessage.objects.filter(
            to=phone, purpose="closed", case__isnull=False, created_at__gte=timezone.now() - ANSWER_WINDOW
        )
        .exclude(status__in=[OutboundMessage.Status.SKIPPED, OutboundMessage.Status.FAILED])
        .exclude(case__satisfaction__isnull=False)
        .order_by("-created_at", "-id")
        .first()
    )
    if asked is None:
        return None
    try:
        with transaction.atomic():
            rating = Satisfaction.objects.create(case_id=asked.case_id, phone=phone, satisfied=satisfied)
            # The same record the call-takers' callbacks write: one event in the case's log (a
            # call-taker who reached the resident first keeps theirs).
            try:
                with transaction.atomic():
                    services.record_callback(
                        asked.case.number,
                        result="satisfied" if satisfied else "not_satisfied",
                        role=HOTLINE,
                        channel="sms",
                    )
            except Conflict:
                pass
            return rating
    except IntegrityError:  # two answers at once: the first one counts
        return Satisfaction.objects.get(case_id=asked.case_id)


def reopen(rating: Satisfaction, note: str = "") -> Case:
    """A supervisor opens a new case for a resident who was not satisfied, linked to the old one."""
    with transaction.atomic():
        rating = Satisfaction.objects.select_for_update().get(pk=rating.pk)
        if rating.followup_id:
            return rating.followup
        old = rating.case
        case, _created = services.report_case(
            actor=None, role=HOTLINE, source=Source.SMS, category=old.category,
            description=f"回访不满意，原案卷 {old.number}。{note}".strip(), lng=old.lng, lat=old.lat,
            address=old.address, reporter_phone=rating.phone, reporter_name=old.reporter_name,
        )  # fmt: skip
        rating.followup = case
        rating.save(update_fields=["followup"])
        return case
