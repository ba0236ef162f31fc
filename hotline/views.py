"""Twilio webhooks under /hotline/twilio/ (signature-checked): thin, the rules are in sms / outbox."""

from django.http import HttpResponse, HttpResponseBadRequest
from twilio.twiml.messaging_response import MessagingResponse

from . import outbox, sms
from .signatures import twilio_webhook


def _twiml(response) -> HttpResponse:
    return HttpResponse(str(response), content_type="application/xml")


@twilio_webhook
def sms_webhook(request):
    sid, phone = request.POST.get("MessageSid", ""), request.POST.get("From", "")
    if not sid or not phone:
        return HttpResponseBadRequest("MessageSid and From are required")
    reply = sms.receive(sid[:64], phone[:32], request.POST.get("Body", "")[:1600])
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
