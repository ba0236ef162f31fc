"""The hotline's part of a case file: the SMS sent to the resident about the case (the number
masked for roles that do not call residents back), the call a voice report came from, and where
its recording plays (dispatch asks only for the roles that may hear it)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from city.privacy import phone_for
from dispatch.display import local

from .models import InboundMessage, MediaFetch, OutboundMessage, VoiceCall


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


def stored_recording(case) -> VoiceCall | None:
    """The call whose audio the city holds for this case (fetched by the worker)."""
    return VoiceCall.objects.filter(case=case).exclude(recording_file="").order_by("id").first()


def recording_player(case) -> dict | None:
    """Where the case page plays the recording (our own URL, never Twilio's), or why it cannot."""
    if stored_recording(case) is not None:
        return {"src": reverse("hotline:recording", args=[case.number]), "note": ""}
    if MediaFetch.objects.filter(case=case, kind=MediaFetch.Kind.RECORDING, done=True).exists():
        return {"src": "", "note": _("录音未能取回")}  # given up: Twilio's copy was gone or not audio
    return None  # queued or not yet complete: the case file says 录音尚未取回
