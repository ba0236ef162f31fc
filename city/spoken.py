"""Matching what a resident said (recognised speech) against the city's names.

Speech recognition writes what it heard, and Chinese has many characters for one sound: 井盖 may
come back as 井概, 金鱼公园 as 金玉公园. So a name is found in a sentence by its characters or,
failing that, by its sound: the toneless pinyin syllables of the name in the sentence's
(`pypinyin`, the same library as the gazetteer's initials). English speech is matched on the
categories' English names.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

from .models import Category

# 待分类 (hotline/sms.py UNCLASSIFIED) is where a guess fails, never a guess itself.
UNCLASSIFIED_CODES = ("99", "99")
_NOT_WORD = re.compile(r"[^\w]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@lru_cache(maxsize=65536)
def _sound(char: str) -> str:
    return lazy_pinyin(char, style=Style.NORMAL)[0].lower()


def syllables(text: str) -> str:
    """The text's toneless pinyin, one syllable per space-delimited word, runs of letters and
    digits kept as words, padded so a name's syllables match whole: "金鱼公园" → " jin yu gong yuan ".

    Character by character, each character's reading cached: a name and a sentence get the same
    reading for the same character (what matching needs), and a gazetteer of 20,000 names is read
    in well under a second (lazy_pinyin over whole phrases took 15 s: bench/voice_speech.py)."""
    out, word = [], []
    for char in text or "":
        if _CJK.match(char):
            if word:
                out.append("".join(word).lower())
                word = []
            out.append(_sound(char))
        elif char.isalnum():
            word.append(char)
        elif word:
            out.append("".join(word).lower())
            word = []
    if word:
        out.append("".join(word).lower())
    return " " + " ".join(out) + " "


def said_in(name: str, text: str, text_syllables: str | None = None) -> bool:
    """The name is in the text, by its characters or by its sound."""
    if not name:
        return False
    if name in text:
        return True
    sound = syllables(name)
    return sound.strip() != "" and sound in (text_syllables if text_syllables is not None else syllables(text))


def guess_category(text: str, language: str = "zh-hans") -> Category | None:
    """The active category a sentence names, when it names one more precisely than any other
    (the longest name heard; two of the same length are left to the call-taker). Chinese by
    name then sound; English by the English name, case and spacing ignored."""
    text = (text or "").strip()
    if not text:
        return None
    categories = Category.objects.filter(active=True).exclude(
        major_code=UNCLASSIFIED_CODES[0], minor_code=UNCLASSIFIED_CODES[1]
    )
    if language == "en":
        heard = " " + " ".join(_NOT_WORD.sub(" ", text.lower()).split()) + " "
        found = [
            (len(c.name_en), c)
            for c in categories
            if c.name_en and f" {' '.join(_NOT_WORD.sub(' ', c.name_en.lower()).split())} " in heard
        ]
    else:
        text_syllables = syllables(text)
        found = [(len(c.name), c) for c in categories if said_in(c.name, text, text_syllables)]
    if not found:
        return None
    found.sort(key=lambda pair: -pair[0])
    if len(found) > 1 and found[0][0] == found[1][0]:
        return None
    return found[0][1]
