"""The consoles: supervision (受理/值班长), dispatch (派遣), department portal, and the hotline intake
form. Pages are templates with small JavaScript; every action goes through the API's action
endpoint (dispatch.services.act), so a console never changes a case by itself."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from city import gazetteer, grid
from city.basemap import map_config
from city.models import Category, Department, Role, Street, TimeLimit
from city.roles import department_of, has_role
from citymgmt.errors import DomainError
from citymgmt.field_labels import problem_label

from . import batch, board, display, search, services
from .access import visible_cases
from .board import console_titles
from .forms import IntakeForm
from .labels import client_table, js_labels
from .models import Case, PossibleDuplicate, Source, State
from .models.cases import OPEN_STATES

CONSOLE_TEMPLATES = {
    "supervision": "dispatch/console.html",
    "dispatch": "dispatch/console.html",
    "department": "dispatch/console.html",
}


def _require(request, console):
    if console not in CONSOLE_TEMPLATES:
        raise Http404
    if not board.may_open(request.user, console):
        raise PermissionDenied


@login_required
def console(request, name):
    _require(request, name)
    inspectors = get_user_model().objects.filter(groups__name=Role.INSPECTOR, is_active=True).order_by("username")
    department = department_of(request.user) if name == "department" else None
    title = console_titles()[name]
    config = {
        "console": name,
        "title": str(title),
        "locale": request.LANGUAGE_CODE,
        "labels": js_labels(),
        "workflow": client_table(),
        "strings": _strings(),
        "snapshot_url": reverse("dispatch:snapshot", args=[name]),
        "counts_url": reverse("dispatch:counts", args=[name]),
        "clock_url": reverse("dispatch:clock", args=[name]),
        "case_url": reverse("dispatch:case", args=["NUMBER"]),
        "throughput": [[key, str(word)] for key, word in board.throughput_words()],
        "reporter_kinds": {k: str(v) for k, v in display.reporter_kinds().items()},
        "department_id": department.pk if department else None,
        "department_names": dict(Department.objects.filter(active=True).order_by("code").values_list("code", "name")),
        # Whom a "user" field of the workflow may name, by the role the field asks for.
        "users": {Role.INSPECTOR: [(u.username, u.get_full_name() or u.username) for u in inspectors]},
        "map": map_config(),
        "categories": [
            (c.full_code, c.display_name) for c in Category.objects.order_by("kind", "major_code", "minor_code")
        ],
        # Bulk actions this person may take here, their words and keyboard shortcuts (dispatch.batch).
        "batch": batch.client_batch(request.user, name),
        "batch_url": reverse("dispatch:batch", args=[name]),
    }
    context = {
        "console": name,
        "title": title,
        "config": config,
        "sources": Source.choices,
        "categories": Category.objects.filter(active=True).order_by("kind", "major_code", "minor_code"),
        "streets": Street.objects.order_by("code"),
        "departments": Department.objects.filter(active=True).order_by("code"),
        "department": department,
    }
    return render(request, CONSOLE_TEMPLATES[name], context)


def _strings() -> dict:
    """The page script's words, translated here so that the script itself holds none."""
    # The lists' titles, the forms' fields and their labels come with the workflow table.
    words = {
        "red": _("红灯"), "yellow": _("黄灯"),
        "number": _("案卷号"), "category": _("类别"), "state": _("状态"), "place": _("位置"), "source": _("来源"),
        "time": _("时间"), "urgent": _("紧急"), "returned": _("回退"), "pending_postpone": _("申请延期"),
        "pending_suspend": _("申请挂账"), "dispatch_to": _("派往"), "done": _("已完成"), "reported": _("上报"),
        "due": _("时限"), "duplicates": _("可能重复"), "timeline": _("流转记录"),
        "department": _("部门"), "time_left": _("剩余时限"), "reporter_kind": _("上报人"),
        "today": _("今日"), "open_case": _("打开案卷页"), "no_answer": _("没有收到服务器的回答，请稍后查看案卷状态。"),
        "changed": _("案卷已被他人更新，本次操作未执行："), "now_state": _("现状态"), "sending": _("正在提交……"),
        "returned_by": _("回退记录"), "reason": _("理由"), "no_suggestion": _("无推荐部门（已回退的部门不再推荐）"),
        "asked": _("申请内容"), "due_now": _("当前时限"), "due_if_approved": _("批准后时限"),
        "suggested": _("推荐部门"), "filter_on": _("筛选中"),
        # Batch work and keyboard shortcuts ({n}, {done}, {refused}: filled in by the script).
        "batch": _("批量"), "selected": _("已选 {n} 件"), "select_row": _("选择"), "select_all": _("全选本列表"),
        "batch_working": _("正在批量处理……"), "batch_refused": _("未执行"),
        "batch_summary": _("批量处理：完成 {done} 件，未执行 {refused} 件。"),
        "batch_none": _("请先勾选案卷，或用 j / k 选中一行。"), "batch_too_many": _("一次最多批量处理 {n} 件案卷。"),
        "shortcuts": _("快捷键"), "key_next": _("下一行"), "key_prev": _("上一行"),
        "key_toggle": _("勾选 / 取消勾选当前行"),
        "key_open": _("打开当前行的案卷"), "key_search": _("在列表中查找"), "key_help": _("显示 / 隐藏本帮助"),
        "key_close": _("关闭"), "key_targets": _("作用于已勾选的案卷；未勾选时作用于当前行"),
    }  # fmt: skip
    return {k: str(v) for k, v in words.items()}


@login_required
@require_GET
def snapshot(request, name):
    _require(request, name)
    return JsonResponse(board.snapshot(request.user, name), json_dumps_params={"ensure_ascii": False})


@login_required
@require_GET
def counts(request, name):
    _require(request, name)
    return JsonResponse(board.counts(request.user, name))


@login_required
@require_GET
def clock(request, name):
    """The listed cases' time left, now (the page refreshes its figures once a minute)."""
    _require(request, name)
    return JsonResponse(board.clock(request.user, name), json_dumps_params={"ensure_ascii": False})


@login_required
@require_POST
def batch_action(request, name):
    """批量操作: one action on the selected rows, each case through the workflow on its own. A
    malformed batch (not a list, unknown numbers, too many rows, bad versions) is refused whole
    and changes nothing; a row the workflow refuses is named with its reason, the others go on."""
    _require(request, name)
    action, params, rows, key = batch.parse(request.body, request.user, name)
    return JsonResponse(batch.run(request.user, action, params, rows, key), json_dumps_params={"ensure_ascii": False})


@login_required
@require_GET
def decision(request, number):
    """What the panel shows before someone decides: the returns (who sent it back and why), the
    suggested department (never one that returned it), and a pending request's hours in the
    stage's unit with the due time if approved."""
    case = get_object_or_404(visible_cases(request.user).select_related("suggested_department"), number=number)
    suggested = case.suggested_department
    return JsonResponse(
        {
            "returns": display.returns(case),
            "suggested_department": suggested.code if suggested else None,
            "suggested_department_name": suggested.name if suggested else None,
            "pending": display.pending_request(case),
            "stage_unit": case.stage_unit,  # a postponement is asked in this unit (the form shows its word)
            "version": case.version,
        },
        json_dumps_params={"ensure_ascii": False},
    )


@login_required
@require_GET
def duplicates(request, number):
    """The possible duplicates found when the case was reported, with the candidates' summaries."""
    case = get_object_or_404(visible_cases(request.user), number=number)
    rows = (
        PossibleDuplicate.objects.filter(case=case, dismissed=False)
        .select_related("candidate", "candidate__category")
        .order_by("distance_m")
    )
    return JsonResponse(
        {
            "duplicates": [
                {
                    "number": d.candidate.number,
                    "state": d.candidate.state,
                    "category_name": d.candidate.category.display_name,
                    "description": d.candidate.description[:200],
                    "distance_m": d.distance_m,
                    "reported_at": d.candidate.reported_at.isoformat(),
                }
                for d in rows
            ]
        },
        json_dumps_params={"ensure_ascii": False},
    )


@login_required
@require_GET
def places(request):
    """Gazetteer search for the intake form: typed name, alias or pinyin initials."""
    if not has_role(request.user, Role.CALL_TAKER, Role.SUPERVISOR):
        raise PermissionDenied
    results = []
    for match in gazetteer.search(request.GET.get("q", "")[:50]):
        cell = grid.locate(match.place.lng, match.place.lat)
        results.append(
            {
                "name": match.place.name,
                "matched": match.matched,
                "lng": match.place.lng,
                "lat": match.place.lat,
                "cell": cell.cell_code if cell else None,
                "street": cell.street_name if cell else None,
            }
        )
    return JsonResponse({"places": results}, json_dumps_params={"ensure_ascii": False})


EARLIER_DAYS = 90


@login_required
@require_GET
def earlier_cases(request):
    """The caller's earlier cases (last 90 days, with state) as the call-taker types the number:
    a repeat call about the same problem becomes a note on the existing case."""
    if not has_role(request.user, Role.CALL_TAKER):
        raise PermissionDenied
    forms_ = search.phone_forms(request.GET.get("phone", "")[:32])
    if not forms_ or len(search.normalise_phone(request.GET.get("phone", ""))) < 7:
        return JsonResponse({"cases": []})
    since = timezone.now() - timedelta(days=EARLIER_DAYS)
    cases = (
        Case.objects.filter(reporter_phone__in=forms_, reported_at__gte=since)
        .select_related("category")
        .order_by("-reported_at")[:20]
    )
    rows = [
        {
            "number": c.number,
            "state": str(State(c.state).label),
            "open": c.state in OPEN_STATES,
            "category": c.category.display_name,
            "address": c.address,
            "description": c.description[:80],
            "reported_at": timezone.localtime(c.reported_at).strftime("%m-%d %H:%M"),
        }
        for c in cases
    ]
    return JsonResponse({"cases": rows}, json_dumps_params={"ensure_ascii": False})


def read_back(case) -> str:
    """What the call-taker says to the caller after filing: number, category, place, and the
    expected handling time (the category's handling limit)."""
    limit = TimeLimit.objects.filter(category_id=case.category_id, stage="handle", urgency=case.urgency).first()
    expected = f"{limit.amount} {limit.get_unit_display()}" if limit else "—"
    return _("案卷号 %(n)s，%(c)s，地点：%(p)s，预计处理时限：%(t)s。") % {
        "n": " ".join(case.number),
        "c": case.category.display_name,
        "p": case.address or (case.cell.code if case.cell_id else "—"),
        "t": expected,
    }


@login_required
def intake(request):
    """热线受理: a call-taker on the phone files the resident's report and reads back the number."""
    if not has_role(request.user, Role.CALL_TAKER):
        raise PermissionDenied
    created, found = None, []
    form = IntakeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        content = {k: v for k, v in data.items() if k != "idempotency_key"}
        try:
            # The key was made when the form was rendered: a double click or a resend of this
            # form files one case, and the page shows that case's number.
            created, _created = services.report_case(
                actor=request.user,
                role=Role.CALL_TAKER,
                source=Source.CALL_TAKER,
                category=data["category"],
                description=data["description"],
                lng=data["lng"],
                lat=data["lat"],
                address=data["address"],
                urgency=data["urgency"],
                reporter_name=data["name"],
                reporter_phone=data["phone"],
                client_key=data["idempotency_key"],
                fingerprint=services.request_fingerprint(content),
            )
        except DomainError as exc:
            for field, problem in (exc.fields or {"__all__": exc.message}).items():
                form.add_error(field if field in form.fields else None, f"{exc.message} ({problem_label(problem)})")
        else:
            found = list(created.possible_duplicates.select_related("candidate").order_by("distance_m"))
            form = IntakeForm()
    categories = list(Category.objects.filter(active=True).order_by("kind", "major_code", "minor_code"))
    for category in categories:
        category.initials = gazetteer.initials(category.name)
    return render(
        request,
        "dispatch/intake.html",
        {
            "form": form,
            "created": created,
            "duplicates": found,
            "read_back": read_back(created) if created else "",
            "earlier_words": {
                "title": _("该号码近 90 天的案件（同一问题请记为补充情况，不要重复立案）："),
                "add_note": _("记为补充情况"),
                "repeat_call": _("市民再次来电反映。"),
                "noted": _("已记录"),
                "no_answer": _("没有收到服务器的回答，请稍后查看案卷状态。"),
            },
            "title": _("热线受理"),
            "categories": categories,
            "map_config": map_config(),
        },
    )
