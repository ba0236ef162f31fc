"""Residents' phone numbers in one form: E.164 (`+8613812345678`), parsed with the phonenumbers
library, so one resident is one number however it was written (`13812345678`, `008613812345678`,
`+86 138 1234 5678`, `8613812345678`). Numbers without a country code are read in the city's
region (`PHONE_DEFAULT_REGION`, default CN).

Every door stores what `parse` gives: the consoles and Open311 refuse a number that is not valid
(a person can correct it); what Twilio sends is stored as given and flagged when it is not a
valid number (a withheld or odd caller id is still the caller), never refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from django.conf import settings

_SEPARATORS = re.compile(r"[\s\-().]")
_MAX_INPUT = 64  # phonenumbers refuses longer input itself; this keeps the work bounded


@dataclass(frozen=True)
class Phone:
    """A number as a door stores it: `stored` is E.164 when `valid`, else the input trimmed."""

    stored: str
    valid: bool


def region() -> str:
    return settings.PHONE_DEFAULT_REGION


def e164(raw: str) -> str | None:
    """The number in E.164, or None when it is not a valid number (for the city's region)."""
    text = (raw or "").strip()
    if not text or len(text) > _MAX_INPUT:
        return None
    try:
        # The region's international prefix ("00" in China) and a country code written without
        # "+" ("8613812345678") are understood by phonenumbers itself.
        number = phonenumbers.parse(_SEPARATORS.sub("", text), region())
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse(raw: str) -> Phone:
    """E.164 when valid; otherwise the input as given (trimmed, at most 32 characters), flagged."""
    normal = e164(raw)
    if normal is not None:
        return Phone(normal, True)
    return Phone((raw or "").strip()[:32], False)


def stored_form(raw: str) -> str:
    """What a number is stored as (E.164 when valid, else as given): for writing and matching."""
    return parse(raw).stored


def search_forms(raw: str) -> list[str]:
    """The stored forms a typed number may match exactly (by index): its E.164 form, and the text
    as given for numbers stored unnormalised (invalid ones, from Twilio)."""
    text = (raw or "").strip()
    forms = {stored_form(text), _SEPARATORS.sub("", text)} - {""}
    return sorted(forms)


def national_digits(stored: str) -> str:
    """A stored E.164 number of the city's own country without its country code ("+8613812345678"
    → "13812345678"), as people there read it; any other text unchanged."""
    prefix = f"+{phonenumbers.country_code_for_region(region())}"
    if stored.startswith(prefix) and stored[1:].isdigit():
        return stored[len(prefix) :]
    return stored
