"""The hotline's part of a case file: the SMS sent to the resident about the case (the number
masked for roles that do not call residents back)."""

from django.utils.translation import gettext as _

from city.privacy import phone_for
from dispatch.display import local

from .models import InboundMessage, OutboundMessage


def sms_section(case, user) -> dict | None:
    sent = list(OutboundMessage.objects.filter(case=case).order_by("id"))
    received = list(InboundMessage.objects.filter(case=case).order_by("id"))
    if not sent and not received:
        return None
    rows = [[local(m.received_at), _("收到"), phone_for(user, m.phone), m.body, ""] for m in received]
    rows += [
        [local(m.sent_at or m.created_at), _("发出"), phone_for(user, m.to), m.body, m.get_status_display()]
        for m in sent
    ]
    rows.sort(key=lambda r: r[0])
    return {"title": _("短信记录"), "columns": [_("时间"), _("方向"), _("号码"), _("内容"), _("状态")], "rows": rows}
