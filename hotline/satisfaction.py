"""回访: after closure the resident is asked to reply 1 (satisfied) or 2 (not); a "not" is shown to
supervisors, who may open a new case linked to the old one."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from dispatch import services
from dispatch.models import Case, Source, State
from dispatch.workflow import HOTLINE

from .models import Satisfaction

ANSWER_WINDOW = timedelta(days=7)


def answer(phone: str, satisfied: bool):
    """The resident's most recent case closed in the last week and not yet rated, rated now."""
    case = (
        Case.objects.filter(reporter_phone=phone, state=State.CLOSED, closed_at__gte=timezone.now() - ANSWER_WINDOW)
        .exclude(satisfaction__isnull=False)
        .order_by("-closed_at")
        .first()
    )
    if case is None:
        return None
    return Satisfaction.objects.create(case=case, phone=phone, satisfied=satisfied)


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
