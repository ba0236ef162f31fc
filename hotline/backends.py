"""Where outbound SMS go: Twilio (production), the log (development), or memory (tests)."""

import logging

from django.conf import settings

from city.privacy import mask_phone

logger = logging.getLogger("hotline.sms")

# The locmem backend's mailbox: (to, body) pairs.
outbox: list[tuple[str, str]] = []


class SendFailed(Exception):
    pass


class TwilioBackend:
    http_client = None  # tests replace Twilio's HTTP layer here; nothing else is faked

    def send(self, to: str, body: str) -> str:
        from twilio.base.exceptions import TwilioException
        from twilio.rest import Client

        client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=self.http_client)
        callback = (
            (settings.PUBLIC_BASE_URL.rstrip("/") + "/hotline/twilio/status") if settings.PUBLIC_BASE_URL else None
        )
        try:
            message = client.messages.create(
                to=to,
                from_=settings.TWILIO_FROM_NUMBER,
                body=body,
                **({"status_callback": callback} if callback else {}),
            )
        except TwilioException as exc:
            raise SendFailed(str(exc)[:500]) from exc
        return message.sid


class ConsoleBackend:
    def send(self, to: str, body: str) -> str:
        logger.info("SMS to %s: %s", mask_phone(to), body)  # never a resident's full number in logs
        return ""


class LocmemBackend:
    def send(self, to: str, body: str) -> str:
        outbox.append((to, body))
        return ""


BACKENDS = {"twilio": TwilioBackend, "console": ConsoleBackend, "locmem": LocmemBackend}


def backend():
    return BACKENDS.get(settings.SMS_BACKEND, ConsoleBackend)()
