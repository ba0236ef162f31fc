"""Twilio webhooks under /hotline/twilio/ (signature-checked): thin, the rules are in sms / outbox."""

from django.http import HttpResponse, HttpResponseBadRequest
from twilio.twiml.messaging_response import MessagingResponse

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
    reply = sms.receive(sid[:64], phone[:32], request.POST.get("Body", "")[:1600], urls)
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


@twilio_webhook
def voice_webhook(request):
    return _twiml(voice.menu())


@twilio_webhook
def voice_menu(request):
    return _twiml(voice.choose(request.POST.get("Digits", "")))


@twilio_webhook
def voice_recorded(request):
    sid, phone, url = (request.POST.get(k, "") for k in ("CallSid", "From", "RecordingUrl"))
    if not sid or not url.startswith("https://"):
        return HttpResponseBadRequest("CallSid and an https RecordingUrl are required")
    return _twiml(voice.recorded(sid[:64], phone[:32], url))


@twilio_webhook
def voice_transcribed(request):
    sid = request.POST.get("CallSid", "")
    if not sid:
        return HttpResponseBadRequest("CallSid is required")
    voice.transcribed(sid, request.POST.get("TranscriptionText", ""))
    return HttpResponse(status=204)


@twilio_webhook
def voice_status(request):
    return _twiml(voice.status(request.POST.get("From", ""), request.POST.get("Digits", "")))
