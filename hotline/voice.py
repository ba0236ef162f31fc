"""The voice line, step by step (plain functions returning TwiML; the webhooks only translate).

Menu: 1 report a problem, 2 hear a case's status, 0 a call-taker, 9 English (in the English
menu, 9 Mandarin). The call's language is kept on its `VoiceCall` row and every prompt is said
with it active (gettext) in that language's voice (settings).

Reporting (1): the resident says the problem and its place; Twilio's speech recognition
(`<Gather input="speech">`, Mandarin `cmn-Hans-CN` or `en-US`, hints from the category and
place names) gives the text, which becomes the case's description. The place is found in the
text through the gazetteer (by characters or by sound), the category guessed from it by name and
pinyin (the call-taker confirms with 分类定位). The call is recorded meanwhile, so a call-taker can
listen when the recognition was unsure (Confidence below HOTLINE_SPEECH_LISTEN_BELOW marks the
case 待听录音). Heard nothing twice: a voicemail instead, marked for listening.

One case per CallSid, however often Twilio retries a step (the call's row is locked while the
case is filed; a retry reads the case back).
"""

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from twilio.twiml.voice_response import Gather, Start, VoiceResponse

from city import gazetteer, phones, spoken
from city.privacy import mask_phone
from dispatch import services
from dispatch.models import Case, Source
from dispatch.workflow import HOTLINE

from . import media
from . import voice_words as words
from .models import VoiceCall
from .sms import unclassified_category

logger = logging.getLogger("hotline.voice")
SPEECH_TRIES = 2  # heard nothing this often: a voicemail instead
VOICEMAIL = "语音留言（未能识别，请收听录音）"  # a case's description, in the city's language


# --------------------------------------------------------------------------- the call's row


def call_for(call_sid: str, raw_phone: str) -> VoiceCall:
    """The call's row, made at its first step. The caller's number in one form (E.164); a
    number Twilio gives that is not valid ("anonymous", a withheld id) is kept as given, flagged."""
    phone = phones.parse(raw_phone)
    try:
        with transaction.atomic():
            call, created = VoiceCall.objects.get_or_create(
                call_sid=call_sid, defaults={"phone": phone.stored, "phone_valid": phone.valid}
            )
    except IntegrityError:  # two steps of one call raced to make it
        return VoiceCall.objects.get(call_sid=call_sid)
    if created and not phone.valid:
        logger.warning("call %s from a number that is not valid: %s", call_sid, mask_phone(phone.stored))
    return call


def _answer(call: VoiceCall, build) -> VoiceResponse:
    response = VoiceResponse()
    with translation.override(call.language):
        build(response, call.language)
    return response


# --------------------------------------------------------------------------- menu


def menu(call: VoiceCall) -> VoiceResponse:
    def build(response, code):
        gather = Gather(num_digits=1, action=reverse("hotline:voice-menu"), method="POST", timeout=8)
        words.say(gather, _("您好，这里是12319城管热线。报告问题请按1，查询案件进度请按2，人工服务请按0。"), code)
        # The other language is offered in itself.
        if code == words.CHINESE:
            words.say(gather, words.in_language(words.ENGLISH, words.OFFER_ENGLISH), words.ENGLISH)
        else:
            words.say(gather, words.in_language(words.CHINESE, words.OFFER_CHINESE), words.CHINESE)
        response.append(gather)
        response.redirect(reverse("hotline:voice"), method="POST")  # silence: the menu again

    return _answer(call, build)


def choose(call: VoiceCall, digit: str) -> VoiceResponse:
    if digit == "9":
        call.language = words.ENGLISH if call.language == words.CHINESE else words.CHINESE
        call.save(update_fields=["language"])
        return menu(call)
    if digit == "1":
        return report_prompt(call)

    def build(response, code):
        if digit == "2":
            gather = Gather(num_digits=20, finish_on_key="#", action=reverse("hotline:voice-status"), method="POST")
            words.say(gather, _("请输入案卷号中的数字，以井号键结束。"), code)
            response.append(gather)
        elif digit == "0" and settings.HOTLINE_CALL_TAKER_NUMBER:
            response.dial(settings.HOTLINE_CALL_TAKER_NUMBER)
        elif digit == "0":
            words.say(response, _("人工服务暂时无法接通，请稍后再拨。"), code)
        else:
            response.redirect(reverse("hotline:voice"), method="POST")

    return _answer(call, build)


# --------------------------------------------------------------------------- report by speech


def _start_recording(call: VoiceCall) -> Start | None:
    """<Start><Recording> once per call. TwiML rather than the REST client's
    calls(sid).recordings.create(): it starts in the same answer that asks the question, with no
    request from our server to Twilio's while Twilio waits for this webhook (nothing to fail or to
    time out), and Twilio tells the recording's URL to our signed callback, in-progress and done.
    Claimed by a conditional update, so a retried step does not start a second recording."""
    if not VoiceCall.objects.filter(pk=call.pk, recording_started=False).update(recording_started=True):
        return None
    start = Start()
    start.recording(
        recording_status_callback=reverse("hotline:voice-recording"),
        recording_status_callback_method="POST",
        recording_status_callback_event="in-progress completed",
    )
    return start


def report_prompt(call: VoiceCall, again: bool = False) -> VoiceResponse:
    def build(response, code):
        start = _start_recording(call)
        if start is not None:
            response.append(start)
        lang = words.language(code)
        gather = Gather(
            input="speech", language=lang.speech, speech_timeout="auto", hints=words.hints(code),
            action=reverse("hotline:voice-speech"), method="POST", action_on_empty_result=True,
        )  # fmt: skip
        if again:
            words.say(gather, _("对不起，没有听清。"), code)
        words.say(gather, _("请说出问题和地点，例如：人民路十二号门口井盖丢了。说完请稍等。"), code)
        response.append(gather)

    return _answer(call, build)


def _confidence(raw: str) -> float | None:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    return value if 0.0 <= value <= 1.0 else None


def speech(call: VoiceCall, text: str, raw_confidence: str) -> VoiceResponse:
    """What the caller said: a case (once per call), read back; nothing heard: ask again, then a
    voicemail."""
    text = " ".join((text or "").split())
    if not text:
        if call.case_id is not None:  # a retry after the case was filed
            return _filed(call)
        VoiceCall.objects.filter(pk=call.pk).update(speech_attempts=F("speech_attempts") + 1)
        call.refresh_from_db(fields=["speech_attempts"])
        if call.speech_attempts < SPEECH_TRIES:
            return report_prompt(call, again=True)
        return _voicemail_prompt(call)
    confidence = _confidence(raw_confidence)
    # Unsure, or no confidence given at all: a person listens.
    listen = confidence is None or confidence < settings.HOTLINE_SPEECH_LISTEN_BELOW
    with transaction.atomic():
        call = VoiceCall.objects.select_for_update().get(pk=call.pk)
        if call.case_id is None:
            place = gazetteer.best_in_speech(text)
            category = spoken.guess_category(text, call.language) or unclassified_category()
            case, _created = services.report_case(
                actor=None, role=HOTLINE, source=Source.VOICE, category=category, description=text[:2000],
                lng=place.place.lng if place else None, lat=place.place.lat if place else None,
                address=place.place.name if place else "", reporter_phone=call.phone,
                recording_url=call.recording_url, needs_listening=listen,
            )  # fmt: skip
            call.case, call.transcript, call.confidence = case, text[:4000], confidence
            call.save(update_fields=["case", "transcript", "confidence"])
            media.queue_recording(call)  # the recording completed before the case was filed
            logger.info(
                "voice report %s from %s: %s, confidence %s%s", call.call_sid, mask_phone(call.phone),
                case.number, confidence, " (to listen to)" if listen else "",
            )  # fmt: skip
    return _filed(call)


def _voicemail_prompt(call: VoiceCall) -> VoiceResponse:
    def build(response, code):
        words.say(response, _("对不起，还是没有听清。请在提示音后留言，说明问题和地点，说完请挂机。"), code)
        response.record(action=reverse("hotline:voice-recorded"), method="POST", max_length=120, play_beep=True)

    return _answer(call, build)


def recorded(call: VoiceCall, recording_url: str) -> VoiceResponse:
    """A voicemail (speech not recognised): a case marked for listening, once per call."""
    with transaction.atomic():
        call = VoiceCall.objects.select_for_update().get(pk=call.pk)
        if call.case_id is None:
            case, _created = services.report_case(
                actor=None, role=HOTLINE, source=Source.VOICE, category=unclassified_category(),
                description=VOICEMAIL, reporter_phone=call.phone,
                recording_url=call.recording_url or recording_url, needs_listening=True,
            )  # fmt: skip
            call.case = case
            if not call.recording_url:  # the voicemail's own recording, complete when this step comes
                call.recording_url, call.recording_complete = recording_url[:500], True
            call.save(update_fields=["case", "recording_url", "recording_complete"])
            media.queue_recording(call)
    return _filed(call)


def _filed(call: VoiceCall) -> VoiceResponse:
    """The case number, read out digit by digit, twice; then goodbye."""
    number = Case.objects.values_list("number", flat=True).get(pk=call.case_id)

    def build(response, code):
        said = words.spoken_number(number, code)
        words.say(response, _("已受理。您的案卷号是：%(number)s。") % {"number": said}, code)
        words.say(response, _("再说一遍，案卷号是：%(number)s。") % {"number": said}, code)
        words.say(response, _("查询进度请拨打本热线按2。谢谢，再见。"), code)
        response.hangup()

    return _answer(call, build)


def recording(call_sid: str, recording_url: str, complete: bool = False) -> None:
    """Twilio's recording callback (in-progress, then completed): the URL on the call and, once,
    on its case (a case filed before the URL was known gets it here). Once complete, the audio is
    queued for the worker to fetch and keep (if the case is filed; else when it is)."""
    with transaction.atomic():
        call = VoiceCall.objects.select_for_update().filter(call_sid=call_sid).first()
        if call is None:
            return
        if not call.recording_url:
            call.recording_url = recording_url[:500]
            call.save(update_fields=["recording_url"])
        if complete and call.recording_url == recording_url[:500] and not call.recording_complete:
            call.recording_complete = True
            call.save(update_fields=["recording_complete"])
        # Under the call's lock: two callbacks at once add the recording to the case once.
        if call.case_id is not None and not Case.objects.filter(pk=call.case_id).exclude(recording_url="").exists():
            case = Case.objects.get(pk=call.case_id)
            services.record_evidence(case, role=HOTLINE, note="通话录音", recording_url=call.recording_url)
        media.queue_recording(call)


# --------------------------------------------------------------------------- status


def status(call: VoiceCall, digits: str) -> VoiceResponse:
    """A case's state, read in the caller's language to the number that reported it only
    (numbers compared in one form: an SMS from +86 138 1234 5678 and a call from 13812345678 are
    one resident)."""
    digits = "".join(ch for ch in digits if ch.isdigit())[:20]
    # A withheld or odd caller id ("anonymous") is no one in particular: it hears no case.
    case = (
        Case.objects.filter(number__in=[f"E{digits}", f"C{digits}"], reporter_phone=call.phone).first()
        if digits and call.phone_valid
        else None
    )

    def build(response, code):
        if case is None:
            words.say(response, _("没有找到您报告的这个案卷。"), code)
        else:
            said = words.spoken_number(case.number, code)
            words.say(
                response,
                _("案卷 %(number)s 目前的状态是：%(state)s。") % {"number": said, "state": case.get_state_display()},
                code,
            )
        response.hangup()

    return _answer(call, build)
