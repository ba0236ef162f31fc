"""Only Twilio may call the webhooks: every request must carry a valid X-Twilio-Signature."""

import logging
from functools import wraps

from django.conf import settings
from django.http import HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from twilio.request_validator import RequestValidator

logger = logging.getLogger("hotline.webhooks")


def called_url(request) -> str:
    """The URL Twilio called: behind a proxy, rebuilt from PUBLIC_BASE_URL (scheme and host)."""
    if settings.PUBLIC_BASE_URL:
        return settings.PUBLIC_BASE_URL.rstrip("/") + request.get_full_path()
    return request.build_absolute_uri()


def twilio_webhook(view):
    """POST only, CSRF-exempt (Twilio has no token), and a signature over the URL and every
    POST parameter checked with twilio's own RequestValidator; else 403, logged, nothing stored."""

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
        return view(request, *args, **kwargs)

    return wrapped
