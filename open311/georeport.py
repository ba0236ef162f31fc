"""GeoReport v2 (wiki.open311.org/GeoReport_v2): the answers as plain data, built from our
categories and cases. Views render them as XML or JSON; every refusal is a domain error
(`InvalidData` 400, `Forbidden` 403, `NotFound` 404) that the views turn into the spec's errors.

Residents' names and phones are stored on the case but never put into any answer here.
"""

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from city import gazetteer, phones
from city.gazetteer import initials
from city.models import Category
from citymgmt.errors import Forbidden, InvalidData, NotFound
from dispatch import services
from dispatch.models import Case, CaseEvent, CasePhoto, Source, Urgency
from dispatch.models.cases import FINAL_STATES
from dispatch.workflow import OPEN311

from . import clients, media, public
from .models import FiledRequest

SPEC = "http://wiki.open311.org/GeoReport_v2"
MAX_DESCRIPTION = 4000
MAX_SPAN = timedelta(days=90)
MAX_RESULTS = 1000
MAX_PAGE_SIZE = 500
REPEAT_WINDOW = timedelta(minutes=10)
_HTML = re.compile(r"<\s*[a-zA-Z/!?]|&#?\w+;")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# --------------------------------------------------------------------------- common


def check_jurisdiction(params) -> None:
    """Optional; empty equals absent; any other value than ours is 404."""
    given = (params.get("jurisdiction_id") or "").strip()
    if given and given != settings.OPEN311_JURISDICTION_ID:
        raise NotFound(_("未知的 jurisdiction_id：%(j)s") % {"j": given[:100]})


def w3c(moment) -> str | None:
    """W3C datetime with the city's offset, e.g. 2026-11-24T09:00:00+08:00."""
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def _text(params, name, limit=200) -> str:
    value = params.get(name) or ""
    if _CONTROL.search(value):
        raise InvalidData(_("%(f)s 含有不允许的控制字符。") % {"f": name}, fields={name: "invalid"})
    return value.strip()[:limit]


def _datetime(params, name):
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = parse_datetime(raw.replace(" ", "+", 1) if raw.count(" ") == 1 and "T" in raw else raw)
    except (ValueError, OverflowError):
        value = None
    if value is None:
        raise InvalidData(
            _("%(f)s 不是 W3C 日期时间（如 2026-01-01T00:00:00Z）。") % {"f": name}, fields={name: "invalid"}
        )
    if timezone.is_naive(value):
        try:
            value = timezone.make_aware(value)
        except (ValueError, OverflowError) as exc:
            raise InvalidData(_("%(f)s 超出范围。") % {"f": name}, fields={name: "out_of_range"}) from exc
    if not (datetime(1970, 1, 2, tzinfo=UTC) <= value <= datetime(9000, 1, 1, tzinfo=UTC)):
        raise InvalidData(_("%(f)s 超出范围。") % {"f": name}, fields={name: "out_of_range"})
    return value


def _category_named(code: str) -> Category | None:
    code = (code or "").strip().upper()
    if len(code) < 5 or code[0] not in "CE" or not code[1:].isdigit():
        return None
    kind = Category.Kind.COMPONENT if code[0] == "C" else Category.Kind.EVENT
    return Category.objects.filter(kind=kind, code=code[1:], active=True).first()


def major_name(category) -> str:
    from django.utils.translation import get_language

    english = (get_language() or "").startswith("en")
    return category.major_name_en if english and category.major_name_en else category.major_name


# --------------------------------------------------------------------------- discovery and services


def discovery(base_url: str) -> dict:
    return {
        "changeset": "2026-12-01T00:00:00+08:00",
        "contact": settings.OPEN311_CONTACT,
        "key_service": _("API 密钥由城市管理监督指挥中心发放（管理后台“接入系统”）。"),
        "endpoints": [
            {
                "specification": SPEC,
                "url": base_url,
                "changeset": "2026-12-01T00:00:00+08:00",
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
        "extensions": _(
            "page/page_size（每页不超过 500 条）、updated_after/updated_before、"
            "bbox=最小经度,最小纬度,最大经度,最大纬度、extensions=true（extended_attributes：详细状态、网格、"
            "主案卷号）、servicerequestupdates（FixMyStreet：公开办理步骤）、tokens/{token} 直接返回案卷号、"
            "multipart 上传 media 图片文件。"
        ),
    }


def services_list() -> list[dict]:
    return [
        {
            "service_code": c.full_code,
            "service_name": c.display_name,
            "description": c.name_en if c.name_en and c.name_en != c.display_name else "",
            "metadata": True,  # every category takes the urgency attribute
            "type": "realtime",
            "keywords": ",".join(dict.fromkeys(k for k in (initials(c.name), c.name, c.name_en) if k)),
            "group": major_name(c),
        }
        for c in Category.objects.filter(active=True).order_by("kind", "code")
    ]


def service_definition(code: str) -> dict:
    category = _category_named(code)
    if category is None:
        raise NotFound(_("未知的 service_code：%(c)s") % {"c": (code or "")[:20]})
    return {
        "service_code": category.full_code,
        "attributes": [
            {
                "variable": True,
                "code": "urgency",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": _("默认为一般"),
                "order": 1,
                "description": _("紧急程度"),
                "values": [{"key": u.value, "name": str(u.label)} for u in Urgency],
            }
        ],
    }


# --------------------------------------------------------------------------- filing a request


def _fingerprint(params) -> str:
    body = {k: params.getlist(k) if hasattr(params, "getlist") else params[k] for k in params if k != "api_key"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def file_request(client, params, files=(), now=None) -> list[dict]:
    """POST requests: file one case through `dispatch.services.report_case`. A repeat of the same
    body from the same device within 10 minutes answers the first case and files nothing."""
    now = now or timezone.now()
    if not client.can_post:
        raise Forbidden(_("此接入系统没有这项权限。"))
    category = _category_named(params.get("service_code", ""))
    if category is None:
        raise InvalidData(_("service_code 缺失或未知。"), fields={"service_code": "unknown"})
    description = params.get("description") or ""
    if len(description) > MAX_DESCRIPTION:
        raise InvalidData(_("description 不能超过 4000 字。"), fields={"description": "too_long"})
    if _HTML.search(description) or _CONTROL.search(description):
        raise InvalidData(_("description 不能含有 HTML 或控制字符。"), fields={"description": "html"})
    lng, lat, address = _location(params)
    urgency = params.get("attribute[urgency]") or Urgency.NORMAL
    if urgency not in Urgency.values:
        raise InvalidData(_("attribute[urgency] 只能是 normal 或 urgent。"), fields={"attribute[urgency]": "invalid"})
    media_url = _text(params, "media_url", 600)
    if media_url and (len(media_url) > 500 or not re.match(r"^https?://[^\s/]+", media_url)):
        raise InvalidData(_("media_url 必须是 http(s) 地址。"), fields={"media_url": "invalid"})
    phone = _text(params, "phone", 40)
    if phone:
        # One form for every number (E.164), so the resident's other reports and status queries
        # find it; a number that is not valid is refused, and nothing is filed.
        phone = phones.e164(phone)
        if phone is None:
            raise InvalidData(
                _("phone 不是有效的电话号码（手机号如 13812345678，或以 + 开头的国际号码）。"),
                fields={"phone": "invalid"},
            )
    name = " ".join(p for p in (_text(params, "last_name", 50), _text(params, "first_name", 50)) if p)[:50]
    _text(params, "email", 200)
    device_id = _text(params, "device_id", 100)
    account_id = _text(params, "account_id", 100)
    fingerprint = _fingerprint(params)

    if device_id:
        repeat = (
            FiledRequest.objects.filter(
                client=client, device_id=device_id, fingerprint=fingerprint, created_at__gte=now - REPEAT_WINDOW
            )
            .select_related("case")
            .first()
        )
        if repeat is not None:
            return [_filed_answer(repeat.case, account_id)]
    clients.count_post(client)  # after the repeat check: a retry is not counted twice

    with transaction.atomic():
        case, _created = services.report_case(
            actor=None,
            role=OPEN311,
            source=Source.OPEN311,
            source_label=client.source_label,
            category=category,
            description=description.strip(),
            lng=lng,
            lat=lat,
            address=address,
            urgency=urgency,
            reporter_name=name,
            reporter_phone=phone,
            photo_files=files,
            now=now,
        )
        FiledRequest.objects.create(
            case=case,
            client=client,
            device_id=device_id,
            fingerprint=fingerprint,
            account_id=account_id,
            created_at=now,
        )
        if media_url:
            media.queue(case, [media_url], now)
    return [_filed_answer(case, account_id)]


def _filed_answer(case, account_id) -> dict:
    return {
        "service_request_id": case.number,
        "service_notice": _("已受理，案卷号 %(n)s，可凭此号查询办理进度。") % {"n": case.number},
        "account_id": account_id or None,
    }


def _location(params):
    raw_lat, raw_lng = (params.get("lat") or "").strip(), (params.get("long") or "").strip()
    address = _text(params, "address_string", 200)
    if raw_lat or raw_lng:
        try:
            lat, lng = float(raw_lat), float(raw_lng)
        except ValueError as exc:
            raise InvalidData(_("lat 和 long 必须同时给出，且是数字。"), fields={"lat": "invalid"}) from exc
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            raise InvalidData(_("lat/long 超出范围。"), fields={"lat": "out_of_range"})
        return lng, lat, address
    if address:
        found = gazetteer.search(address, limit=1)
        if not found:
            raise InvalidData(_("地址无法定位：%(a)s") % {"a": address}, fields={"address_string": "not_found"})
        place = found[0].place
        return place.lng, place.lat, address
    if params.get("address_id"):
        raise InvalidData(
            _("不支持 address_id，请提供 lat/long 或 address_string。"), fields={"address_id": "unsupported"}
        )
    raise InvalidData(_("需要位置：lat 与 long，或 address_string。"), fields={"lat": "required"})


# --------------------------------------------------------------------------- reading requests


RECORD_RELATED = ("category", "department", "cell", "duplicate_of")


def _records():
    """Cases with what a record shows, in a fixed number of queries (not one per case)."""
    photos = CasePhoto.objects.filter(stage="report").order_by("id")
    return Case.objects.select_related(*RECORD_RELATED).prefetch_related(
        Prefetch("photos", queryset=photos, to_attr="report_photos")
    )


def find_requests(params, now=None) -> list[Case]:
    now = now or timezone.now()
    cases = _records()
    ids = [i.strip() for i in (params.get("service_request_id") or "").split(",") if i.strip()]
    if ids:  # overrides every other parameter
        if len(ids) > MAX_RESULTS:
            raise InvalidData(_("service_request_id 最多 1000 个。"), fields={"service_request_id": "too_many"})
        return list(cases.filter(number__in=[i[:24] for i in ids]).order_by("-reported_at", "-id"))

    start, end = _datetime(params, "start_date"), _datetime(params, "end_date")
    if start and end and start > end:
        raise InvalidData(_("start_date 不能晚于 end_date。"), fields={"start_date": "after_end"})
    if start and end and end - start > MAX_SPAN:
        raise InvalidData(_("start_date 与 end_date 相差不能超过 90 天。"), fields={"end_date": "span"})
    if start is None and end is None:
        end = now
    if start is None:
        start = end - MAX_SPAN
    if end is None:
        end = start + MAX_SPAN
    cases = cases.filter(reported_at__gte=start, reported_at__lte=end)

    codes = [c.strip() for c in (params.get("service_code") or "").split(",") if c.strip()]
    if codes:
        from django.db.models import Q

        q = Q(pk__in=[])
        for code in codes[:200]:
            code = code.upper()
            if len(code) >= 5 and code[0] in "CE" and code[1:].isdigit():
                kind = Category.Kind.COMPONENT if code[0] == "C" else Category.Kind.EVENT
                q |= Q(category__kind=kind, category__code=code[1:])
        cases = cases.filter(q)

    statuses = {s.strip().lower() for s in (params.get("status") or "").split(",") if s.strip()}
    if statuses - {"open", "closed"}:
        raise InvalidData(_("status 只能是 open 或 closed。"), fields={"status": "invalid"})
    if statuses == {"open"}:
        cases = cases.exclude(state__in=FINAL_STATES)
    elif statuses == {"closed"}:
        cases = cases.filter(state__in=FINAL_STATES)

    after, before = _datetime(params, "updated_after"), _datetime(params, "updated_before")
    if after:
        cases = cases.filter(updated_at__gte=after)
    if before:
        cases = cases.filter(updated_at__lte=before)
    if params.get("bbox"):
        cases = cases.filter(**_bbox(params["bbox"]))

    cases = cases.order_by("-reported_at", "-id")
    page, size = _paging(params)
    if page is None:
        return list(cases[:MAX_RESULTS])
    return list(cases[(page - 1) * size : page * size])


def _bbox(raw: str) -> dict:
    try:
        min_lng, min_lat, max_lng, max_lat = (float(v) for v in raw.split(","))
    except ValueError as exc:
        raise InvalidData(_("bbox 应为 最小经度,最小纬度,最大经度,最大纬度。"), fields={"bbox": "invalid"}) from exc
    if not (-180 <= min_lng <= max_lng <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise InvalidData(_("bbox 应为 最小经度,最小纬度,最大经度,最大纬度。"), fields={"bbox": "invalid"})
    return {"lng__gte": min_lng, "lng__lte": max_lng, "lat__gte": min_lat, "lat__lte": max_lat}


def _paging(params):
    raw_page, raw_size = params.get("page"), params.get("page_size")
    if not raw_page and not raw_size:
        return None, None
    try:
        page = int(raw_page or 1)
        size = int(raw_size or 100)
    except ValueError as exc:
        raise InvalidData(_("page 与 page_size 必须是整数。"), fields={"page": "invalid"}) from exc
    if page < 1 or page > 100_000 or not (1 <= size <= MAX_PAGE_SIZE):
        raise InvalidData(_("page 从 1 开始，page_size 在 1 到 500 之间。"), fields={"page_size": "out_of_range"})
    return page, size


def one_request(number: str) -> Case:
    case = _records().filter(number=(number or "")[:24]).first()
    if case is None:
        raise NotFound(_("案卷 %(n)s 不存在。") % {"n": (number or "")[:24]})
    return case


def token(value: str) -> list[dict]:
    """Our answer to a POST is the request id itself; a token is that id."""
    case = one_request(value)
    return [{"service_request_id": case.number, "token": case.number}]


def wants_extensions(params) -> bool:
    return (params.get("extensions") or "").lower() in ("true", "1")


def record(case, base_media_url: str, extensions=False) -> dict:
    """One request as the spec's fields. Nothing of the resident's but their words."""
    report_photos = getattr(case, "report_photos", None)
    if report_photos is None:
        report_photos = list(case.photos.filter(stage="report").order_by("id")[:1])
    photo = report_photos[0] if report_photos else None
    closed = case.state in FINAL_STATES
    item = {
        "service_request_id": case.number,
        "status": public.open_or_closed(case),
        "status_notes": public.status_notes(case),
        "service_name": case.category.display_name,
        "service_code": case.category.full_code,
        "description": public.scrub(case.description, case),
        "agency_responsible": public.department_name(case.department),
        "service_notice": "",
        "requested_datetime": w3c(case.reported_at),
        "updated_datetime": w3c(case.updated_at),
        "expected_datetime": None if closed else w3c(case.due_at),
        "address": case.address,
        "address_id": None,
        "zipcode": None,
        "lat": case.lat,
        "long": case.lng,
        "media_url": f"{base_media_url}{photo.image.name}" if photo else None,
    }
    if extensions:
        item["extended_attributes"] = {
            "state": case.state,
            "state_label": public.status_notes(case),
            "grid_cell": case.cell.code if case.cell_id else None,
            "duplicate_of": case.duplicate_of.number if case.duplicate_of_id else None,
            "source": case.source_label or case.source,
            "closed_datetime": w3c(case.closed_at),
        }
    return item


# --------------------------------------------------------------------------- FixMyStreet's updates


def updates(params, now=None) -> list[dict]:
    """servicerequestupdates: public steps since `start_date` (default: the last day), at most 1,000."""
    now = now or timezone.now()
    start = _datetime(params, "start_date") or now - timedelta(days=1)
    end = _datetime(params, "end_date") or now
    if end - start > MAX_SPAN:
        raise InvalidData(_("start_date 与 end_date 相差不能超过 90 天。"), fields={"end_date": "span"})
    events = (
        CaseEvent.objects.filter(created_at__gte=start, created_at__lte=end)
        .select_related("case", "case__duplicate_of")
        .order_by("id")
    )
    out, departments = [], {}
    for event in events.iterator(chunk_size=500):
        step = public.step(event, event.case, departments)
        if step is None:
            continue
        out.append(
            {
                "update_id": str(event.id),
                "service_request_id": event.case.number,
                "status": step["status"],
                "updated_datetime": w3c(event.created_at),
                "description": " ".join(p for p in (str(step["label"]), step["department"], step["note"]) if p),
                "media_url": None,
            }
        )
        if len(out) >= MAX_RESULTS:
            break
    return out
