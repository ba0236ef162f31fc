"""What a resident's SMS means, and the reply (plain functions: the webhook only translates).

- a new problem → a case (source sms, to be verified), replied with its number;
- the number alone, or 查询/status <number> → the case's status, only to the number that reported it;
- STOP/退订, START → opt-out recorded; HELP/帮助 → usage;
- over the per-number limit (default 10 an hour) → no new case, one polite reply.
Replies follow the message's language (Chinese if it has Chinese characters, else English).
"""

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
STOP_WORDS = {"stop", "退订", "unsubscribe", "td"}
START_WORDS = {"start", "恢复", "订阅"}
HELP_WORDS = {"help", "帮助", "?", "？"}
PER_HOUR = getattr(settings, "HOTLINE_SMS_PER_HOUR", 10)
UNCLASSIFIED = ("event", "99", "99")  # 待分类: the call-taker sets the real category


def language_of(text: str) -> str:
    return "zh-hans" if re.search(r"[\u4e00-\u9fff]", text or "") else "en"


def _reply_language(text: str, phone: str) -> str:
    """The message's language; a bare case number or digit has none, so the resident's report decides."""
    match = CASE_NUMBER.match(text)
    if match and text.upper() == match.group(1).upper():
        case = Case.objects.filter(number=match.group(1).upper(), reporter_phone=phone).first()
        return language_of(case.description) if case else "zh-hans"
    if text in ("1", "2"):  # a 回访 answer: the language the resident reported in
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


def receive(sid: str, phone: str, body: str, media_urls=()) -> str:
    """Handle one inbound SMS; the same MessageSid always gets the same reply and nothing new."""
    earlier = InboundMessage.objects.filter(sid=sid).first()
    if earlier is not None:
        return earlier.reply
    text = (body or "").strip()
    with translation.override(_reply_language(text, phone)):
        try:
            with transaction.atomic():
                kind, reply, case = _answer(phone, text)
                InboundMessage.objects.create(sid=sid, phone=phone, body=text, kind=kind, reply=reply, case=case)
                if case is not None and media_urls:
                    media.queue(case, list(media_urls))  # fetched by the worker, after this reply
        except IntegrityError:
            # Twilio's retry raced the first delivery: answer as the first did.
            return InboundMessage.objects.get(sid=sid).reply
    logger.info("sms %s from %s: %s", sid, mask_phone(phone), kind)
    return reply


def _answer(phone: str, text: str):
    word = text.lower()
    if word in STOP_WORDS:
        OptOut.objects.update_or_create(phone=phone, defaults={"opted_out": True})
        return "stop", _("已退订，您将不再收到本热线的短信。回复 START 可恢复。"), None
    if word in START_WORDS:
        OptOut.objects.update_or_create(phone=phone, defaults={"opted_out": False})
        return "start", _("已恢复接收本热线的短信。"), None
    if word in ("1", "2"):
        answered = satisfaction.answer(phone, word == "1")
        if answered is not None:
            return "satisfaction", _("谢谢您的评价。"), None
    if word in HELP_WORDS or not text:
        return "help", _("12319 城管热线：直接发送问题和地点即可报案；发送案卷号查询进度；发送 STOP 退订。"), None
    match = CASE_NUMBER.match(text)
    if match:
        return "status", status_reply(match.group(1), phone), None
    if not _within_limit(phone):
        return "limited", _("您在一小时内发送的报案过多，请稍后再试，或拨打 12319。"), None
    case = _file_report(phone, text)
    reply = _("已受理，案卷号 %(number)s。发送该号码可查询处理进度。") % {"number": case.number}
    return "report", reply, case


def status_reply(number: str, phone: str) -> str:
    case = Case.objects.filter(number=number.upper()).first()
    # Only the number that reported it learns anything, even whether the case exists.
    if case is None or case.reporter_phone != phone:
        return _("没有找到您报告的这个案卷号。")
    return _("案卷 %(number)s：%(state)s。") % {"number": case.number, "state": case.get_state_display()}


def _within_limit(phone: str) -> bool:
    key = f"hotline:sms-rate:{phone}"
    if cache.add(key, 1, 3600):
        return True
    try:
        count = cache.incr(key)
    except ValueError:
        cache.add(key, 1, 3600)
        return True
    return count <= PER_HOUR


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
