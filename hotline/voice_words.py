"""What the voice line says and listens for, per language: the <Say> voice (a setting), the
speech-recognition language, recognition hints, and case numbers read out digit by digit.

Prompts are translatable strings (source Chinese, English in locale/en): the steps in
hotline/voice.py say them with the call's language active.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from city import gazetteer
from city.models import Category

from .sms import UNCLASSIFIED

CHINESE, ENGLISH = "zh-hans", "en"
# The menu offers the other language in that language (translated when said: in_language).
OFFER_ENGLISH = gettext_noop("如需英文服务，请按9。")
OFFER_CHINESE = gettext_noop("普通话服务请按9。")
# Twilio's <Gather> hints: at most 500 entries of at most 100 characters each, comma-separated
# (warning 13330 otherwise).
HINTS_MAX_ENTRIES = 500
HINT_MAX_CHARS = 100
# Mandarin names for the letters of case numbers (C 部件, E 事件), as people say them on the phone.
LETTERS_ZH = {"C": "西", "E": "伊"}
# Digits one by one; 1 as 幺, the telephone habit that keeps it apart from 7.
DIGITS_ZH = dict(zip("0123456789", "零幺二三四五六七八九", strict=True))


@dataclass(frozen=True)
class Language:
    code: str  # Django's language code (gettext)
    say: str  # <Say language=…>
    speech: str  # <Gather language=…> for speech recognition

    @property
    def voice(self) -> str:
        """Read per call: the setting may change without a restart of the tests' settings."""
        return settings.HOTLINE_VOICE_ZH if self.code == CHINESE else settings.HOTLINE_VOICE_EN


LANGUAGES = {
    CHINESE: Language(CHINESE, say="cmn-CN", speech="cmn-Hans-CN"),
    ENGLISH: Language(ENGLISH, say="en-US", speech="en-US"),
}


def language(code: str) -> Language:
    return LANGUAGES.get(code, LANGUAGES[CHINESE])


def say(node, text: str, code: str) -> None:
    """<Say> in the voice of the language (`node`: the response or a <Gather>)."""
    lang = language(code)
    node.say(text, voice=lang.voice, language=lang.say)


def in_language(code: str, message: str) -> str:
    """A prompt in a language other than the call's (the menu offers the other language in it)."""
    with translation.override(code):
        return _(message)


def spoken_number(number: str, code: str) -> str:
    """A case number as a voice reads it out: the letter, then the category code, the date and
    the daily sequence, digit by digit ("E0102202611240037" → "字母伊，零幺零二，二零二六幺幺二四，零零三七";
    in English "E, 0 1 0 2, 2 0 2 6 1 1 2 4, 0 0 3 7")."""
    letter, digits = number[:1], number[1:]
    groups = [g for g in (digits[:-12], digits[-12:-4], digits[-4:]) if g] if len(digits) > 12 else [digits]
    if code == ENGLISH:
        return ", ".join([letter, *(" ".join(g) for g in groups)])
    said_letter = _("字母%(letter)s") % {"letter": LETTERS_ZH.get(letter, letter)}
    return "，".join([said_letter, *("".join(DIGITS_ZH.get(d, d) for d in g) for g in groups)])


def _clean(entry: str) -> str:
    # A comma separates hints: none may be inside one.
    return " ".join(entry.replace(",", " ").replace("，", " ").split())[:HINT_MAX_CHARS]


def hints(code: str) -> str:
    """The names a caller is likely to say, for speech recognition: category names, then the
    gazetteer's place names and aliases (Chinese only: English recognition would not write
    them), within Twilio's limits."""
    kind, major, minor = UNCLASSIFIED
    categories = Category.objects.filter(active=True).exclude(kind=kind, major_code=major, minor_code=minor)
    field = "name_en" if code == ENGLISH else "name"
    names = list(categories.order_by("kind", "major_code", "minor_code").values_list(field, flat=True))
    if code != ENGLISH:
        names += [name for _k, name, _lower, _initials in gazetteer.shared.get().names]
    entries, seen = [], set()
    for name in names:
        entry = _clean(name or "")
        if entry and entry not in seen:
            seen.add(entry)
            entries.append(entry)
        if len(entries) == HINTS_MAX_ENTRIES:
            break
    return ",".join(entries)
