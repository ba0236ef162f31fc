"""Only Twilio may call the webhooks: every request must carry a valid X-Twilio-Signature."""

import logging
from functools import wraps

from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from twilio.request_validator import RequestValidator

logger = logging.getLogger("hotline.webhooks")

NUL = "\x00"
# A resident's own words: a NUL there is dropped (the report still counts). Anywhere else (sids,
# numbers, digits, URLs, statuses) it is no value Twilio sends: the request is refused with 400.
FREE_TEXT = frozenset({"Body", "SpeechResult"})


def _without_nul(request):
    """The POST parameters with NULs dropped from free text, or None if any other has one
    (PostgreSQL refuses NUL in text: it must never reach a query)."""
    for params in (request.GET, request.POST):
        for key, values in params.lists():
            if NUL in key or (key not in FREE_TEXT and any(NUL in v for v in values)):
                return None
    if not any(NUL in v for key in FREE_TEXT for v in request.POST.getlist(key)):
        return request.POST
    cleaned = request.POST.copy()
    for key in FREE_TEXT & set(cleaned):
        cleaned.setlist(key, [v.replace(NUL, "") for v in cleaned.getlist(key)])
    cleaned._mutable = False
    return cleaned


def called_url(request) -> str:
    """The URL Twilio called: behind a proxy, rebuilt from PUBLIC_BASE_URL (scheme and host)."""
    if settings.PUBLIC_BASE_URL:
        return settings.PUBLIC_BASE_URL.rstrip("/") + request.get_full_path()
    return request.build_absolute_uri()


def twilio_webhook(view):
    """POST only, CSRF-exempt (Twilio has no token), and a signature over the URL and every
    POST parameter checked with twilio's own RequestValidator; else 403, logged, nothing stored.
    Then a NUL in any parameter is 400 (dropped from a resident's text instead)."""

    @csrf_exempt
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method != "POST":
            return HttpResponse(status=405, headers={"Allow": "POST"})
        signature = request.headers.get("X-Twilio-Signature", "")
        validator = RequestValidator(settings.TWILIO_AUTH_TOKEN)
        if (
            not settings.TWILIO_AUTH_TOKEN
            or not signature
            or not validator.validate(called_url(request), request.POST, signature)
        ):
            logger.warning("twilio webhook refused: bad or missing signature on %s", request.path)
            return HttpResponseForbidden("invalid signature")
        cleaned = _without_nul(request)
        if cleaned is None:
            logger.warning("twilio webhook refused: NUL in a parameter on %s", request.path)
            return HttpResponseBadRequest("NUL is not allowed in parameters")
        request.POST = cleaned
        return view(request, *args, **kwargs)

    return wrapped
