"""What a resident's SMS means, and the reply (plain functions: the webhook only translates).

- a new problem → a case (source sms, to be verified), replied with its number;
- the number alone, or 查询/status <number> → the case's status, only to the number that reported it;
- a photo without text (MMS) → a case with the photo;
- STOP/退订/取消, START → opt-out recorded (also "Stop.", "STOP please"); HELP/帮助 → usage;
- 1 or 2 after a closing notice → the 回访 answer; with no question waiting → usage, no case;
- over the per-number limit (HOTLINE_SMS_PER_HOUR new reports an hour) → no new case, one polite
  reply. The limit counts each MessageSid once (the duplicate is decided first) and fails open
  when the cache (Redis) is down: Twilio does not retry SMS webhooks, so a refused SMS is lost.
Replies follow the message's language (Chinese if it has Chinese characters, else English).
"""

import hashlib
import logging
import re

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from city import gazetteer
from city.models import Category
from city.privacy import mask_phone
from dispatch import services
from dispatch.models import Case, Source
from dispatch.workflow import HOTLINE

from . import media, satisfaction
from .models import InboundMessage, OptOut

logger = logging.getLogger("hotline.sms")

CASE_NUMBER = re.compile(r"^(?:查询|status)?\s*([CE]\d{6,20})$", re.IGNORECASE)
STOP_WORDS = {"stop", "退订", "取消", "取消订阅", "unsubscribe", "td"}
START_WORDS = {"start", "恢复", "订阅"}
HELP_WORDS = {"help", "帮助", "?", "？"}
# Words that may follow a command without making it a report: "STOP please", "stop now".
POLITE = {"please", "pls", "plz", "now", "thanks", "thank", "you", "me", "it", "all"}
_WORDS = re.compile(r"[\w']+")
_HAS_LANGUAGE = re.compile(r"[A-Za-z\u4e00-\u9fff]")
PHOTO_ONLY = "彩信照片（无文字）"  # a case's description, stored in the city's language like voice's
UNCLASSIFIED = ("event", "99", "99")  # 待分类: the call-taker sets the real category


def language_of(text: str) -> str:
    return "zh-hans" if re.search(r"[\u4e00-\u9fff]", text or "") else "en"


def per_hour() -> int:
    """New reports a number may file in an hour (read per message: settings may change)."""
    return settings.HOTLINE_SMS_PER_HOUR


def keyword(text: str) -> str:
    """The command a short message gives ("Stop." → "stop", "STOP please" → "stop", "退订。" → "退订"),
    or "" when the message says more than a command (a report that begins with "stop")."""
    words = _WORDS.findall(text.lower())
    return words[0] if words and all(w in POLITE for w in words[1:]) else ""


def _reply_language(text: str, phone: str) -> str:
    """The message's language; a bare case number, a digit or a photo alone has none, so the
    resident's report decides."""
    match = CASE_NUMBER.match(text)
    if match and text.upper() == match.group(1).upper():
        case = Case.objects.filter(number=match.group(1).upper(), reporter_phone=phone).first()
        return language_of(case.description) if case else "zh-hans"
    if not _HAS_LANGUAGE.search(text):  # "1", "2", a photo: the language the resident reported in
        case = Case.objects.filter(reporter_phone=phone).order_by("-id").first()
        return language_of(case.description) if case else "zh-hans"
    return language_of(text)


def unclassified_category() -> Category:
    """Residents do not know the standard's codes: their reports wait in 待分类 for a call-taker."""
    kind, major, minor = UNCLASSIFIED
    category, _created = Category.objects.get_or_create(
        kind=kind, major_code=major, minor_code=minor,
        defaults={"major_name": "待分类", "major_name_en": "Unclassified", "name": "待分类",
                  "name_en": "Unclassified", "duplicate_radius_m": 1},
    )  # fmt: skip
    return category


def receive(sid: str, phone: str, body: str, media_urls=(), phone_valid: bool = True) -> str:
    """Handle one inbound SMS; the same MessageSid always gets the same reply and nothing new.
    `phone` is in one form already (E.164, or as given and `phone_valid=False`: city.phones)."""
    earlier = InboundMessage.objects.filter(sid=sid).first()
    if earlier is not None:
        return earlier.reply
    text = (body or "").strip()
    with translation.override(_reply_language(text, phone)):
        try:
            with transaction.atomic():
                # The duplicate is decided first, by the unique row: a second delivery of this
                # MessageSid racing this one waits on it and then fails, so it never counts
                # against the number's hourly limit nor files anything.
                message = InboundMessage.objects.create(
                    sid=sid, phone=phone, phone_valid=phone_valid, body=text, kind="pending"
                )
                kind, reply, case = _answer(phone, text, has_photos=bool(media_urls))
                message.kind, message.reply, message.case = kind, reply, case
                message.save(update_fields=["kind", "reply", "case"])
                if case is not None and media_urls:
                    media.queue(case, list(media_urls))  # fetched by the worker, after this reply
        except IntegrityError:
            # Twilio's retry raced the first delivery: answer as the first did.
            first = InboundMessage.objects.filter(sid=sid).first()
            if first is None:
                raise
            return first.reply
    logger.info("sms %s from %s: %s", sid, mask_phone(phone), kind)
    return reply


def _answer(phone: str, text: str, has_photos: bool = False):
    """(kind, reply, case filed or None) for one new message."""
    word = keyword(text)
    if word in STOP_WORDS:
        OptOut.objects.update_or_create(phone=phone, defaults={"opted_out": True})
        return "stop", _("已退订，您将不再收到本热线的短信。回复 START 可恢复。"), None
    if word in START_WORDS:
        OptOut.objects.update_or_create(phone=phone, defaults={"opted_out": False})
        return "start", _("已恢复接收本热线的短信。"), None
    if word in ("1", "2"):
        if satisfaction.answer(phone, word == "1") is not None:
            return "satisfaction", _("谢谢您的评价。"), None
        return "help", _help(), None  # no 回访 question waits for this answer: not a report either
    if word in HELP_WORDS or text.lower() in HELP_WORDS or (not text and not has_photos):
        return "help", _help(), None
    match = CASE_NUMBER.match(text)
    if match:
        return "status", status_reply(match.group(1), phone), None
    if not _within_limit(phone):
        return "limited", _("您在一小时内发送的报案过多，请稍后再试，或拨打 12319。"), None
    case = _file_report(phone, text or PHOTO_ONLY)
    reply = _("已受理，案卷号 %(number)s。发送该号码可查询处理进度。") % {"number": case.number}
    return "report", reply, case


def _help() -> str:
    return _("12319 城管热线：直接发送问题和地点即可报案；发送案卷号查询进度；发送 STOP 退订。")


def status_reply(number: str, phone: str) -> str:
    case = Case.objects.filter(number=number.upper()).first()
    # Only the number that reported it learns anything, even whether the case exists.
    if case is None or case.reporter_phone != phone:
        return _("没有找到您报告的这个案卷号。")
    return _("案卷 %(number)s：%(state)s。") % {"number": case.number, "state": case.get_state_display()}


def _within_limit(phone: str) -> bool:
    """A fixed hourly window per number in the cache (shared by every process with Redis). The
    cache is not the record: when it fails the message goes through (fails open), logged."""
    key = "hotline:sms-rate:" + hashlib.sha256(phone.encode()).hexdigest()[:24]  # no number in Redis
    try:
        if cache.add(key, 1, 3600):
            return True
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, 3600)
            return True
    except Exception as exc:  # Redis down or unreachable: file the report rather than lose it
        logger.warning(
            "sms rate limit not checked for %s (cache unavailable: %s); letting it through",
            mask_phone(phone), type(exc).__name__,
        )  # fmt: skip
        return True
    return count <= per_hour()


def _file_report(phone: str, text: str) -> Case:
    place = gazetteer.best_in_text(text)
    case, _created = services.report_case(
        actor=None,
        role=HOTLINE,
        source=Source.SMS,
        category=unclassified_category(),
        description=text[:2000],
        lng=place.place.lng if place else None,
        lat=place.place.lat if place else None,
        address=place.place.name if place else "",
        reporter_phone=phone,
    )
    return case
