"""The voice line: a menu (1 leave a report, 2 hear a case's status, 0 a call-taker), voicemails
as cases (once per CallSid), transcripts added to the case when they arrive."""

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from twilio.twiml.voice_response import Gather, VoiceResponse

from dispatch import services
from dispatch.models import Case, Source
from dispatch.workflow import HOTLINE

from .models import VoiceCall
from .sms import unclassified_category

logger = logging.getLogger("hotline.voice")
LANG = "zh-CN"


def menu() -> VoiceResponse:
    response = VoiceResponse()
    gather = Gather(num_digits=1, action=reverse("hotline:voice-menu"), method="POST", timeout=8)
    gather.say("您好，这里是12319城管热线。报告问题请按1，查询案件进度请按2，人工服务请按0。", language=LANG)
    response.append(gather)
    response.redirect(reverse("hotline:voice"), method="POST")
    return response


def choose(digit: str) -> VoiceResponse:
    response = VoiceResponse()
    if digit == "1":
        response.say("请在提示音后说明问题和地点，说完请挂机。", language=LANG)
        response.record(
            action=reverse("hotline:voice-recorded"), method="POST", max_length=120, play_beep=True,
            transcribe=True, transcribe_callback=reverse("hotline:voice-transcribed"),
        )  # fmt: skip
    elif digit == "2":
        gather = Gather(num_digits=20, finish_on_key="#", action=reverse("hotline:voice-status"), method="POST")
        gather.say("请输入案卷号中的数字，以井号键结束。", language=LANG)
        response.append(gather)
    elif digit == "0" and settings.HOTLINE_CALL_TAKER_NUMBER:
        response.dial(settings.HOTLINE_CALL_TAKER_NUMBER)
    elif digit == "0":
        response.say("人工服务暂时无法接通，请稍后再拨。", language=LANG)
    else:
        response.redirect(reverse("hotline:voice"), method="POST")
    return response


def recorded(call_sid: str, phone: str, recording_url: str) -> VoiceResponse:
    """A voicemail: one case per call, however often Twilio retries this step."""
    try:
        with transaction.atomic():
            call, created = VoiceCall.objects.get_or_create(call_sid=call_sid, defaults={"phone": phone})
            if created or call.case_id is None:
                case, _created = services.report_case(
                    actor=None, role=HOTLINE, source=Source.VOICE, category=unclassified_category(),
                    description=f"语音留言：{recording_url}", reporter_phone=phone,
                )  # fmt: skip
                call.case, call.recording_url = case, recording_url[:500]
                call.save(update_fields=["case", "recording_url"])
    except IntegrityError:
        call = VoiceCall.objects.get(call_sid=call_sid)
    response = VoiceResponse()
    digits = " ".join(call.case.number[1:]) if call.case_id else ""
    response.say(f"已受理，案卷号是 {call.case.number[0]} {digits}。谢谢，再见。", language=LANG)
    response.hangup()
    return response


def transcribed(call_sid: str, text: str) -> None:
    """The transcript, once, into the case's log for the call-taker completing it."""
    with transaction.atomic():
        call = VoiceCall.objects.select_for_update().filter(call_sid=call_sid).first()
        if call is None or call.case_id is None or call.transcript:
            return
        call.transcript = text[:4000]
        call.save(update_fields=["transcript"])
        services.record_evidence(call.case, role=HOTLINE, note=f"语音转写：{text[:1900]}")


def status(phone: str, digits: str) -> VoiceResponse:
    """A case's state, read to the number that reported it only."""
    digits = "".join(ch for ch in digits if ch.isdigit())
    case = (
        Case.objects.filter(number__in=[f"E{digits}", f"C{digits}"], reporter_phone=phone).first() if digits else None
    )
    response = VoiceResponse()
    if case is None:
        response.say("没有找到您报告的这个案卷。", language=LANG)
    else:
        response.say(f"案卷 {case.number} 目前的状态是：{case.get_state_display()}。", language=LANG)
    response.hangup()
    return response
