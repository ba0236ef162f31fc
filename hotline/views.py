"""Twilio webhooks under /hotline/twilio/ (signature-checked): thin, the rules are in sms / outbox."""

from django.http import HttpResponse, HttpResponseBadRequest
from twilio.twiml.messaging_response import MessagingResponse

from city import phones

from . import outbox, sms, voice
from .signatures import twilio_webhook


def _twiml(response) -> HttpResponse:
    return HttpResponse(str(response), content_type="application/xml")


@twilio_webhook
def sms_webhook(request):
    sid, phone = request.POST.get("MessageSid", ""), request.POST.get("From", "")
    if not sid or not phone:
        return HttpResponseBadRequest("MessageSid and From are required")
    try:
        count = min(int(request.POST.get("NumMedia", "0") or 0), 10)
    except ValueError:
        return HttpResponseBadRequest("NumMedia must be a number")
    urls = [
        request.POST[f"MediaUrl{i}"]
        for i in range(count)
        if request.POST.get(f"MediaUrl{i}", "").startswith("https://")
    ]
    # The resident's number in one form (E.164); one that is not valid is kept as given, flagged.
    number = phones.parse(phone[:32])
    reply = sms.receive(sid[:64], number.stored, request.POST.get("Body", "")[:1600], urls, phone_valid=number.valid)
    response = MessagingResponse()
    response.message(reply)
    return _twiml(response)


@twilio_webhook
def status_webhook(request):
    sid, status = request.POST.get("MessageSid", ""), request.POST.get("MessageStatus", "")
    if not sid or not status:
        return HttpResponseBadRequest("MessageSid and MessageStatus are required")
    outbox.record_status(sid, status)
    return HttpResponse(status=204)


def _call(request):
    """The call's row (made at its first step), or None without a CallSid."""
    sid = request.POST.get("CallSid", "")
    return voice.call_for(sid[:64], request.POST.get("From", "")[:32]) if sid else None


def _no_call_sid():
    return HttpResponseBadRequest("CallSid is required")


@twilio_webhook
def voice_webhook(request):
    call = _call(request)
    return _twiml(voice.menu(call)) if call else _no_call_sid()


@twilio_webhook
def voice_menu(request):
    call = _call(request)
    return _twiml(voice.choose(call, request.POST.get("Digits", ""))) if call else _no_call_sid()


@twilio_webhook
def voice_speech(request):
    call = _call(request)
    if call is None:
        return _no_call_sid()
    return _twiml(voice.speech(call, request.POST.get("SpeechResult", "")[:2000], request.POST.get("Confidence", "")))


@twilio_webhook
def voice_recorded(request):
    call, url = _call(request), request.POST.get("RecordingUrl", "")
    if call is None or not url.startswith("https://"):
        return HttpResponseBadRequest("CallSid and an https RecordingUrl are required")
    return _twiml(voice.recorded(call, url))


@twilio_webhook
def voice_recording(request):
    sid, url = request.POST.get("CallSid", ""), request.POST.get("RecordingUrl", "")
    if not sid or not url.startswith("https://"):
        return HttpResponseBadRequest("CallSid and an https RecordingUrl are required")
    status = request.POST.get("RecordingStatus", "")
    if status in ("in-progress", "completed"):
        voice.recording(sid[:64], url, complete=status == "completed")
    return HttpResponse(status=204)


@twilio_webhook
def voice_status(request):
    call = _call(request)
    return _twiml(voice.status(call, request.POST.get("Digits", ""))) if call else _no_call_sid()
