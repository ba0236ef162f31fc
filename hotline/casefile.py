"""The hotline's part of a case file: the SMS sent to the resident about the case (the number
masked for roles that do not call residents back), and the call a voice report came from."""

from django.utils.translation import gettext as _

from city.privacy import phone_for
from dispatch.display import local

from .models import InboundMessage, OutboundMessage, VoiceCall


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


def voice_section(case, user) -> dict | None:
    """The call: when, in which language, what the speech recognition heard and how sure it was."""
    calls = list(VoiceCall.objects.filter(case=case).order_by("id"))
    if not calls:
        return None
    rows = [
        [
            local(c.created_at),
            phone_for(user, c.phone) + ("" if c.phone_valid else " " + _("（号码无效）")),
            c.get_language_display(),
            f"{c.confidence:.2f}" if c.confidence is not None else "—",
            c.transcript or "—",
        ]
        for c in calls
    ]
    return {
        "title": _("语音来电"),
        "columns": [_("时间"), _("号码"), _("语言"), _("识别置信度"), _("识别文字")],
        "rows": rows,
    }
