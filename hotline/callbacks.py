"""回访 worklist: closed public cases due for a satisfaction callback (sampled per source), and the
call-taker's answer recorded as the same case event the SMS replies write (dispatch's
`record_callback`). "Not satisfied" opens a linked new case through the workflow's report."""

import hashlib
from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from citymgmt.errors import InvalidData
from dispatch import services
from dispatch.models import Case, CaseEvent, Source, State
from dispatch.models.cases import PUBLIC_SOURCES

from .models import CallbackSettings

RESULTS = services.CALLBACK_RESULTS
LIMIT = 200


def sampled(case_number: str, rate: int) -> bool:
    """A stable draw per case: the same case is always in or out at a given rate."""
    if rate >= 100:
        return True
    if rate <= 0:
        return False
    return int(hashlib.sha256(case_number.encode()).hexdigest()[:8], 16) % 100 < rate


def due(now=None) -> list[Case]:
    """Closed public cases within the window, with a reporter's number, no callback yet, sampled."""
    now = now or timezone.now()
    settings = CallbackSettings.current()
    answered = CaseEvent.objects.filter(case_id=OuterRef("pk"), action="callback")
    cases = (
        Case.objects.filter(
            state=State.CLOSED,
            source__in=sorted(PUBLIC_SOURCES),
            closed_at__gte=now - timedelta(days=settings.window_days),
        )
        .exclude(reporter_phone="")
        .filter(~Exists(answered))
        .select_related("category", "department")
        .order_by("closed_at")
    )
    return [c for c in cases[: LIMIT * 4] if sampled(c.number, settings.rate(c.source))][:LIMIT]


def record(number: str, result: str, user, note: str = "", now=None) -> tuple[CaseEvent, Case | None]:
    """The call-taker's answer; for "not satisfied" a new case linked to the old one."""
    if result not in RESULTS:
        raise InvalidData(_("请选择回访结果。"), fields={"result": "invalid"})
    case = services.get_case(number)
    if CaseEvent.objects.filter(case=case, action="callback").exists():
        raise InvalidData(_("该案卷已回访。"), fields={"result": "already_recorded"})
    followup = None
    with transaction.atomic():
        if result == "not_satisfied":
            followup, _created = services.report_case(
                actor=user,
                source=Source.CALL_TAKER,
                category=case.category,
                description=(_("回访不满意，原案卷 %(n)s。") % {"n": case.number} + " " + note).strip(),
                lng=case.lng,
                lat=case.lat,
                address=case.address,
                reporter_name=case.reporter_name,
                reporter_phone=case.reporter_phone,
                now=now,
            )
        event = services.record_callback(
            case, result=result, actor=user, note=note, channel="call", now=now,
            followup=followup.number if followup else None,
        )  # fmt: skip
    return event, followup
