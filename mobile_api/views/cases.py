"""Cases from the handset: report, list, read, act, and the person's tasks. Thin: the rules are
dispatch's (`report_case`, `act`, `visible_cases`, `tasks_for`)."""

import hashlib

import django_filters
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from city.models import Role
from city.roles import roles_of
from citymgmt.errors import InvalidData, NotFound, TooLarge
from dispatch import search, services
from dispatch.access import own_cases, visible_cases
from dispatch.models import CasePhoto, Source
from dispatch.photos import MAX_PHOTO_BYTES, MAX_PHOTOS
from dispatch.workflow import ACTIONS
from dispatch.worklist import tasks_for

from ..schema import ACTION_IDEMPOTENCY_KEY, CASE_QUERY_PARAMETERS, IDEMPOTENCY_KEY, errors
from ..serializers import (
    ActionSerializer,
    CaseDetailSerializer,
    CaseListQuerySerializer,
    CasePageSerializer,
    CaseSerializer,
    ReportSerializer,
    TaskListSerializer,
)

# Six photos of 10 MB and the form around them; anything bigger is refused before it is read.
MAX_BODY_BYTES = MAX_PHOTOS * MAX_PHOTO_BYTES + 1024 * 1024
PARSERS = [JSONParser, MultiPartParser, FormParser]
LIST_RELATED = ("category", "department", "suggested_department", "assigned_inspector", "cell", "reporter")


def _refuse_huge_body(request) -> None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:
        raise TooLarge(_("请求过大：最多 %(n)d 张照片，每张不超过 10 MB。") % {"n": MAX_PHOTOS})


def _photos(request) -> list:
    """The files sent as `photos`; a file under any other name is refused, not silently dropped."""
    if not hasattr(request.data, "getlist"):
        return []
    unknown = sorted(name for name in request.FILES if name != "photos")
    if unknown:
        raise InvalidData(
            _("照片须以 photos 字段上传，不认识的文件字段：%(names)s") % {"names": ", ".join(unknown)[:200]},
            fields={name[:50]: "unknown_file_field" for name in unknown},
        )
    return request.FILES.getlist("photos")


def _detail(case, request, status=200, headers=None) -> Response:
    return Response(CaseDetailSerializer(case, context={"request": request}).data, status=status, headers=headers)


def _source_for(user) -> str:
    roles = roles_of(user)
    if Role.INSPECTOR in roles:
        return Source.INSPECTOR
    if Role.CALL_TAKER in roles:
        return Source.CALL_TAKER
    return Source.INSPECTOR  # report_case refuses the role with 403


def idempotency_key(request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > 100 or not key.isprintable():
        raise InvalidData(_("Idempotency-Key 须为 1 到 100 个可见字符。"), fields={"idempotency_key": "invalid"})
    return key


def _fingerprint(data: dict, files) -> str:
    content = {k: v for k, v in data.items() if k != "photos"}
    digests = []
    for f in files:
        h = hashlib.sha256()
        for chunk in f.chunks():
            h.update(chunk)
        f.seek(0)
        digests.append(h.hexdigest())
    content["photos"] = digests
    return services.request_fingerprint(content)


# Parameters that are dates, booleans, numbers or choices: a blank one is an error, not "absent".
_FREE_TEXT = django_filters.CharFilter | django_filters.ModelChoiceFilter
NOT_BLANK = (
    "mine",
    "state",
    "updated_since",
    "limit",
    *(name for name, f in search.CaseQuery.base_filters.items() if not isinstance(f, _FREE_TEXT)),
)


class CasePagination(CursorPagination):
    ordering = ("-updated_at", "-id")
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200


class CaseListView(APIView):
    parser_classes = PARSERS

    @extend_schema(
        parameters=[
            CaseListQuerySerializer,
            *CASE_QUERY_PARAMETERS,
            OpenApiParameter("cursor", str, required=False, description="from `next` / `previous`"),
        ],
        responses={200: CasePageSerializer, **errors(400, 401, 403, 404)},
        operation_id="cases_list",
        summary="Cases this user may see, newest change first (cursor pagination)",
    )
    def get(self, request):
        blank = sorted(name for name in NOT_BLANK if request.query_params.get(name) == "")
        if blank:
            raise InvalidData(fields={name: "blank" for name in blank})
        query = CaseListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        cases = (own_cases if q.get("mine") else visible_cases)(request.user)
        if q.get("state"):
            cases = cases.filter(state__in=sorted(q["state"]))
        if q.get("updated_since"):
            cases = cases.filter(updated_at__gt=q["updated_since"])
        cases = search.filtered(request.user, request.query_params, cases)  # the case query's filters
        paginator = CasePagination()
        page = paginator.paginate_queryset(cases.select_related(*LIST_RELATED), request, view=self)
        return paginator.get_paginated_response(CaseSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(
        request={"application/json": ReportSerializer, "multipart/form-data": ReportSerializer},
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: CaseDetailSerializer,
            200: OpenApiResponse(CaseDetailSerializer, description="a retry: the case the first request filed"),
            **errors(400, 401, 403, 409, 413, 415),
        },
        summary="Report a case (上报), with up to 6 photos",
    )
    def post(self, request):
        _refuse_huge_body(request)
        files = _photos(request)
        body = ReportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        key = idempotency_key(request)
        case, created = services.report_case(
            actor=request.user,
            source=_source_for(request.user),
            category=data["category"],
            description=data["description"],
            lng=data["lng"],
            lat=data["lat"],
            crs=data["crs"],
            address=data["address"],
            urgency=data["urgency"],
            reported_at=data.get("reported_at"),
            self_resolved=data["self_resolved"],
            client_key=key,
            fingerprint=_fingerprint(data, files) if key else "",
            photo_files=files,
        )
        location = reverse("mobile_api:case", args=[case.number])
        return _detail(case, request, status=201 if created else 200, headers={"Location": location})


class CaseDetailView(APIView):
    @extend_schema(responses={200: CaseDetailSerializer, **errors(401, 404)}, summary="A case with photos and timeline")
    def get(self, request, number):
        case = get_object_or_404(visible_cases(request.user).select_related(*LIST_RELATED), number=number)
        return _detail(case, request)


class CaseActionView(APIView):
    parser_classes = PARSERS

    @extend_schema(
        parameters=[OpenApiParameter("action", str, OpenApiParameter.PATH, enum=list(ACTIONS)), ACTION_IDEMPOTENCY_KEY],
        request={"application/json": ActionSerializer, "multipart/form-data": ActionSerializer},
        responses={200: CaseDetailSerializer, **errors(400, 401, 403, 404, 409, 413, 415)},
        summary="Take a workflow action; the workflow decides who may, and when",
    )
    def post(self, request, number, action):
        _refuse_huge_body(request)
        files = _photos(request)
        body = ActionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        params = {k: v for k, v in body.validated_data.items() if k not in ("photos", "version")}
        case = services.act(
            number,
            action,
            request.user,
            params=params,
            photo_files=files,
            expected_version=body.validated_data.get("version"),
            request_key=idempotency_key(request),
        )
        return _detail(case, request)  # act() returns the case with what the answer reads


class TasksView(APIView):
    @extend_schema(responses={200: TaskListSerializer, **errors(401)}, summary="What waits for this user (待办)")
    def get(self, request):
        tasks = [
            {"task": name, "due_at": case.due_at, "light": case.light, "case": case}
            for name, case in tasks_for(request.user)
        ]
        return Response(TaskListSerializer({"tasks": tasks}, context={"request": request}).data)


class PhotoView(APIView):
    """A case photo, to people who may see the case (media files are not public)."""

    thumbnail = False

    @extend_schema(
        responses={
            (200, "image/jpeg"): OpenApiTypes.BINARY,
            (200, "image/png"): OpenApiTypes.BINARY,
            (200, "image/webp"): OpenApiTypes.BINARY,
            **errors(401, 404),
        },
        summary="A case photo (or its thumbnail)",
    )
    def get(self, request, pk):
        photo = get_object_or_404(CasePhoto.objects.select_related("case"), pk=pk)
        if not visible_cases(request.user).filter(pk=photo.case_id).exists():
            _not_found()
        # Until the worker has made the thumbnail, its URL serves the photo itself (not kept by the
        # browser: the thumbnail is there on a later look).
        thumbnail = self.thumbnail and bool(photo.thumbnail)
        field = photo.thumbnail if thumbnail else photo.image
        try:
            handle = field.open("rb")
        except (FileNotFoundError, ValueError):
            _not_found()
        response = FileResponse(handle, content_type="image/jpeg" if thumbnail else photo.content_type)
        waiting = self.thumbnail and not thumbnail
        response["Cache-Control"] = "private, no-cache" if waiting else "private, max-age=86400"
        return response


def _not_found():
    raise NotFound(_("照片不存在。"))
