"""Where outbound SMS go: Twilio (production), the log (development), or memory (tests)."""

import logging
import re

from django.conf import settings

from city.privacy import mask_phone

logger = logging.getLogger("hotline.sms")

# The locmem backend's mailbox: (to, body) pairs.
outbox: list[tuple[str, str]] = []


class SendFailed(Exception):
    """A send that did not happen; its text is already masked (see scrubbed)."""


# Twilio's error texts quote the resident's number ("The 'To' number +86138… is not valid").
_PHONE_LIKE = re.compile(r"\+?\d[\d ()-]{5,}\d")


def scrubbed(text: str) -> str:
    """An error text safe for logs and the database: every phone-like run of digits masked."""
    return _PHONE_LIKE.sub(lambda m: mask_phone(re.sub(r"[ ()-]", "", m.group())), text or "")[:500]


class TwilioBackend:
    http_client = None  # tests replace Twilio's HTTP layer here; nothing else is faked

    def send(self, to: str, body: str) -> str:
        import requests
        from twilio.base.exceptions import TwilioException, TwilioRestException
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
        except TwilioRestException as exc:
            raise SendFailed(scrubbed(f"HTTP {exc.status}, Twilio error {exc.code}: {exc.msg}")) from exc
        except TwilioException as exc:
            raise SendFailed(scrubbed(str(exc))) from exc
        except (requests.RequestException, OSError) as exc:  # the network: try again later
            raise SendFailed(scrubbed(f"{type(exc).__name__}: {exc}")) from exc
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
