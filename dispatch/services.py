"""Case actions: the only way a case is created or changes state.

`report_case` files a new case; `act` takes any other action of the workflow table; the deadline
worker's `record_light_change` turns a light. Each one, in a single database transaction, checks
the table, writes the case, appends one event to the log and schedules its broadcast for after
the commit.
"""

import hashlib
import json
import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from city import calendar, coords, gazetteer, grid, phones, reference
from city.autoassign import suggest_department_for_case
from city.models import Category, Department, GridCell, ResponsibilityGrid, Role
from city.roles import department_of, roles_of
from citymgmt.errors import Conflict, Forbidden, InvalidData, NotFound, WrongState

from . import broadcast, deadlines, duplicates, photos
from .models import Case, CaseEvent, CaseEventAudience, Light, Source, State, Urgency, WorkflowSettings
from .models.cases import OPEN_STATES, PUBLIC_SOURCES
from .numbers import next_case_number
from .signals import case_event_written
from .workflow import (
    ASSIGNED_INSPECTOR,
    CASE_DEPARTMENT,
    MACHINE_ROLES,
    STAGE_OF_STATE,
    SYSTEM,
    TRANSITIONS,
    allowed_actions,
    check_params,
)

logger = logging.getLogger("dispatch.actions")

# Any constant works; it names the lock that keeps event ids in commit order on PostgreSQL.
_EVENT_LOCK_KEY = 0x63697479  # "city"
# What an event's case summary reads, and what the answer shows (the reporter): loaded with the
# case, not one query each.
SUMMARY_RELATED = (
    "category", "department", "suggested_department", "assigned_inspector", "cell__community__street", "reporter",
)  # fmt: skip


# --------------------------------------------------------------------------- who acts


def _acting_role(actor, role: str | None, allowed: frozenset) -> str:
    """The role the actor takes this action as, or Forbidden."""
    if actor is None:
        if role in MACHINE_ROLES and role in allowed:
            return role
        raise Forbidden()
    held = roles_of(actor)
    if role is not None:
        if role in held and role in allowed:
            return role
        raise Forbidden()
    for candidate in sorted(held):
        if candidate in allowed:
            return candidate
    raise Forbidden()


def actor_rule_met(transition, case, actor) -> bool:
    if transition.actor_rule == ASSIGNED_INSPECTOR:
        return actor is not None and case.assigned_inspector_id == actor.pk
    if transition.actor_rule == CASE_DEPARTMENT:
        dept = department_of(actor)
        return dept is not None and dept.pk == case.department_id
    return True


def _check_actor_rule(transition, case, actor, role) -> None:
    if actor_rule_met(transition, case, actor):
        return
    if transition.actor_rule == ASSIGNED_INSPECTOR:
        raise Forbidden(_("只有被指派的监督员可以执行此操作。"))
    raise Forbidden(_("只有承办部门的人员可以执行此操作。"))


def available_actions(case, user) -> list[str]:
    """The actions this person may take on this case now (for buttons and handset menus)."""
    return [a for a in allowed_actions(case.state, roles_of(user)) if actor_rule_met(TRANSITIONS[a], case, user)]


# --------------------------------------------------------------------------- the log


def _write_event(case, *, kind, action, from_state, actor, role, now, note="", data=None, extra_groups=()):
    """Append one event: it keeps the case summary it shows, so a replay sends it as it was."""
    if connection.vendor == "postgresql":
        # Event ids must become visible in increasing order, or a board resuming "since N" could
        # skip an event with a smaller id that committed later. Writers take this lock just before
        # inserting their event and hold it to commit, which is a few milliseconds.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_EVENT_LOCK_KEY])
    event = CaseEvent.objects.create(
        case=case,
        kind=kind,
        action=action,
        from_state=from_state or "",
        to_state=case.state,
        actor=actor,
        actor_role=role,
        created_at=now,
        note=note or "",
        data=data or {},
        summary=broadcast.case_summary(case),
    )
    logger.info(
        "case %s %s %s→%s by %s (%s) event %s",
        case.number,
        action,
        from_state or "-",
        case.state,
        getattr(actor, "username", role),
        role,
        event.id,
    )
    case_event_written.send(sender=CaseEvent, event=event, case=case)
    groups = broadcast.groups_for(case, extra_groups)
    CaseEventAudience.objects.bulk_create([CaseEventAudience(event=event, group=g) for g in sorted(groups)])
    broadcast.broadcast_after_commit(broadcast.event_message(event), groups)
    return event


# --------------------------------------------------------------------------- report


def request_fingerprint(payload: dict) -> str:
    """Hash of a report's content: tells a true retry from a reused idempotency key."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def report_case(
    *,
    actor,
    source: str,
    category: Category | str,
    source_label: str = "",
    description: str = "",
    lng: float | None = None,
    lat: float | None = None,
    crs: str = "wgs84",
    address: str = "",
    urgency: str = Urgency.NORMAL,
    reporter_name: str = "",
    reporter_phone: str = "",
    recording_url: str = "",
    needs_listening: bool = False,
    reported_at: datetime | None = None,
    self_resolved: bool = False,
    client_key: str | None = None,
    fingerprint: str = "",
    photo_files=(),
    role: str | None = None,
    now: datetime | None = None,
) -> tuple[Case, bool]:
    """File a new case (上报). Returns (case, created); a retry with the same client key returns the
    first case and created=False, or raises Conflict when the retry carries a different request."""
    now = now or timezone.now()
    transition = TRANSITIONS["report"]
    acting_role = _acting_role(actor, role, transition.roles)
    key_scope = idempotency_scope(actor, source) if client_key else ""
    if client_key:
        existing = _existing_report(key_scope, client_key, fingerprint)
        if existing is not None:
            return existing, False

    if source not in Source.values:
        raise InvalidData(fields={"source": "unknown"})
    if urgency not in Urgency.values:
        raise InvalidData(_("紧急程度只能是 normal 或 urgent。"), fields={"urgency": "invalid"})
    reported_at = _checked_reported_at(reported_at, now)
    if self_resolved and acting_role != Role.INSPECTOR:
        raise InvalidData(_("只有监督员可以上报自处理案件。"), fields={"self_resolved": "inspector_only"})
    cell = None
    if lng is not None or lat is not None:
        lng, lat = _checked_point(lng, lat, crs)
        cell = _cell_at(lng, lat)
        if not (address or "").strip():
            # A handset or an app may send a point alone: the address a person reads comes from it.
            address = gazetteer.describe_point(lng, lat).text
    category, cell = _category_and_cell(category, cell, lng, lat)
    checked_photos = photos.check_photos(photo_files)

    # Everything slow is done above and here, before the transaction: on SQLite the write lock is
    # taken at BEGIN (IMMEDIATE) and held to COMMIT, so only the writes go inside.
    case = Case(
        category=category,
        description=description or "",
        lng=lng,
        lat=lat,
        address=address or "",
        cell=cell,
        source=Source.SELF_RESOLVED if self_resolved else source,
        source_label=(source_label or "")[:32],
        needs_verification=source in PUBLIC_SOURCES,
        reporter=actor,
        reporter_name=reporter_name or "",
        # One form for a resident's number whoever files (the doors refuse invalid
        # numbers they can; what stays invalid is kept as given).
        reporter_phone=phones.stored_form(reporter_phone) if reporter_phone else "",
        recording_url=(recording_url or "")[:500],
        needs_listening=bool(needs_listening),
        urgency=urgency,
        state=State.REPORTED,
        self_resolved=self_resolved,
        client_key=client_key or None,
        client_key_scope=key_scope,
        client_key_hash=fingerprint or "",
        reported_at=reported_at or now,
    )
    deadlines.start_stage(case, STAGE_OF_STATE[State.REPORTED], now)
    try:
        with transaction.atomic():
            case.number = next_case_number(category, now)
            case.save()
            saved = photos.save_photos(case, checked_photos, "report") if checked_photos else []
            found = duplicates.attach_candidates(case)
            event = _write_event(
                case,
                kind=CaseEvent.Kind.REPORTED,
                action="report",
                from_state=None,
                actor=actor,
                role=acting_role,
                now=now,
                note=description[:500] if description else "",
                data={
                    "source": case.source,
                    **({"source_label": case.source_label} if case.source_label else {}),
                    **({"needs_listening": True} if case.needs_listening else {}),
                    "photos": len(checked_photos),
                    "possible_duplicates": [d.candidate.number for d in found],
                    "next_due_at": utc_iso(case.due_at),
                },
            )
    except IntegrityError:
        # A concurrent retry with the same key won the race: return its case.
        if client_key:
            existing = _existing_report(key_scope, client_key, fingerprint)
            if existing is not None:
                return existing, False
        raise
    # The answer shows the case's photos and timeline: they are these, no need to read them back.
    _known_related(case, photos=saved, events=[event])
    return case, True


def _known_related(case, **related) -> None:
    """Fill the case's prefetch cache with rows this call wrote, as `prefetch_related` would: a
    queryset holding them (`case.photos.all()` reads it; any other query runs as usual)."""
    cache = case.__dict__.setdefault("_prefetched_objects_cache", {})
    for name, rows in related.items():
        queryset = getattr(case, name).all()
        queryset._result_cache, queryset._prefetch_done = list(rows), True
        cache[name] = queryset


def _checked_reported_at(reported_at: datetime | None, now: datetime) -> datetime | None:
    """When the handset made the report: not in the future, not older than REPORT_MAX_AGE_DAYS
    (an offline queue that old is refused), stored in UTC whatever offset it came with."""
    if reported_at is None:
        return None
    if timezone.is_naive(reported_at):
        raise InvalidData(_("上报时间须带时区。"), fields={"reported_at": "invalid"})
    max_age = timedelta(days=settings.REPORT_MAX_AGE_DAYS)
    if reported_at.year < 1901 or reported_at < now - max_age:  # (year first: no overflow near year 1)
        raise InvalidData(
            _("上报时间早于 %(days)d 天前，不再受理；请重新上报。") % {"days": settings.REPORT_MAX_AGE_DAYS},
            fields={"reported_at": "too_old"},
        )
    if reported_at > now + timedelta(minutes=5):
        raise InvalidData(_("上报时间不能晚于当前时间。"), fields={"reported_at": "in_future"})
    return reported_at.astimezone(UTC)


def idempotency_scope(actor, source: str) -> str:
    """Whose idempotency keys these are: the reporting user's, or the channel's when nobody is
    signed in (a webhook). Another sender's key, however alike, never finds this sender's case."""
    return f"user:{actor.pk}" if actor is not None else f"channel:{source}"


def _existing_report(key_scope, client_key, fingerprint):
    existing = Case.objects.filter(client_key_scope=key_scope, client_key=client_key).first()
    if existing is not None and fingerprint and existing.client_key_hash and existing.client_key_hash != fingerprint:
        raise Conflict(_("同一个 Idempotency-Key 已用于内容不同的上报。"), fields={"idempotency_key": "reused"})
    return existing


def _category_and_cell(category, cell, lng, lat):
    """The category (by code: one query) and the cell the grid index gave, checked in that same
    query: an index built before another process changed the grid is rebuilt, and the point
    located again, instead of writing a case that points at a deleted cell."""
    if cell is None:
        return _resolve_category(category), None
    cell_exists = Exists(GridCell.objects.filter(pk=cell.pk))
    if isinstance(category, Category):
        found = GridCell.objects.filter(pk=cell.pk).exists()
    else:
        category = _resolve_category(category, annotate={"cell_exists": cell_exists})
        found = category.cell_exists
    if not found:
        grid.invalidate()
        cell = _cell_at(lng, lat)
    return category, cell


def _resolve_category(category, annotate=None) -> Category:
    """An active category by its code: one query (a code a client sends is never trusted to a cache)."""
    if isinstance(category, Category):
        return category
    code = str(category or "").strip().upper()
    qs = Category.objects.filter(active=True).annotate(**(annotate or {}))
    if code[:1] in ("C", "E") and code[1:].isdigit():
        kind = Category.Kind.COMPONENT if code[0] == "C" else Category.Kind.EVENT
        found = qs.filter(kind=kind, code=code[1:]).first()
    elif code.isdigit():
        matches = list(qs.filter(code=code)[:2])
        if len(matches) > 1:
            raise InvalidData(
                _("类别代码 %(code)s 同时是部件和事件，请加前缀 C 或 E。") % {"code": code},
                fields={"category": "ambiguous"},
            )
        found = matches[0] if matches else None
    else:
        found = None
    if found is None:
        raise InvalidData(_("未知的案件类别：%(code)s") % {"code": code or "—"}, fields={"category": "unknown"})
    return found


def _cell_at(lng, lat):
    """The grid cell at the point, with its community and street, from the index in memory (no
    query; callers check that it still exists, see _category_and_cell)."""
    info = grid.locate(lng, lat)
    return grid.cell_row(info) if info else None


def _checked_point(lng, lat, crs):
    try:
        lng, lat = float(lng), float(lat)
    except (TypeError, ValueError) as exc:
        raise InvalidData(_("经纬度必须是数字。"), fields={"lng": "invalid", "lat": "invalid"}) from exc
    if not (-180 <= lng <= 180 and -90 <= lat <= 90) or lng != lng or lat != lat:
        raise InvalidData(_("经纬度超出范围。"), fields={"lng": "out_of_range", "lat": "out_of_range"})
    try:
        return coords.to_wgs84(lng, lat, crs or "wgs84")
    except ValueError as exc:
        raise InvalidData(_("坐标系只能是 wgs84 或 gcj02。"), fields={"crs": "unknown"}) from exc


# --------------------------------------------------------------------------- every other action


def get_case(number: str) -> Case:
    try:
        return Case.objects.get(number=number)
    except Case.DoesNotExist as exc:
        raise NotFound(_("案卷 %(number)s 不存在。") % {"number": number}) from exc


def _locked_case(**lookup) -> Case | None:
    """The case, row-locked until the transaction ends, with what its event summary needs: the lock
    serialises concurrent changes to one case, so the second sees the first's result."""
    return Case.objects.select_for_update(of=("self",)).select_related(*SUMMARY_RELATED).filter(**lookup).first()


def act(
    case: Case | str,
    action: str,
    actor,
    *,
    params: dict | None = None,
    photo_files=(),
    role: str | None = None,
    expected_version: int | None = None,
    now: datetime | None = None,
    request_key: str | None = None,
) -> Case:
    """Take a workflow action on a case. Raises Forbidden (403), WrongState / Conflict (409) or
    InvalidData (400); on any error nothing is written and nothing is broadcast.

    `request_key` (a handset's Idempotency-Key, or a batch's key and the case number) makes a
    resent request a no-op: the event written the first time keeps it, and a repeat by the same
    person returns the case unchanged, even though the version moved (an answer lost on a weak
    signal never turns into a conflict with its own first attempt)."""
    params = dict(params or {})
    now = now or timezone.now()
    transition = TRANSITIONS.get(action)
    if transition is None or action == "report":
        raise NotFound(_("没有这个操作：%(action)s") % {"action": action})
    acting_role = _acting_role(actor, role, transition.roles)
    number = case.number if isinstance(case, Case) else case
    checked_photos = photos.check_photos(photo_files)
    with transaction.atomic():
        case = _locked_case(number=number)
        if case is None:
            raise NotFound(_("案卷 %(number)s 不存在。") % {"number": number})
        if request_key and _already_done(case, action, actor, request_key):
            return case
        if expected_version is not None and case.version != expected_version:
            raise _conflict(case)
        if case.state not in transition.sources:
            raise WrongState(
                _("案卷当前状态为“%(state)s”，不能执行“%(action)s”。")
                % {"state": State(case.state).label, "action": transition.label},
                state=case.state,
            )
        _check_actor_rule(transition, case, actor, acting_role)
        _check_params(transition, params, checked_photos)
        from_state = case.state
        old_department_id = case.department_id
        clock_before = _clock(case, now)
        note, data, followups = _APPLY[action](case, params, actor, now)
        case.state = transition.next_state(case, params)
        if case.state != from_state or action in _RESTARTS_CLOCK:
            _enter_state(case, from_state, now)
        if case.state == State.CLOSED:
            case.closed_at = now
        case.version += 1
        case.save()
        data.update(clock_before)
        data["next_due_at"] = utc_iso(case.due_at)
        if request_key:
            data["request_key"] = request_key
        data.setdefault("department", _department_code(case.department_id or old_department_id))
        if checked_photos:
            saved = photos.save_photos(case, checked_photos, _PHOTO_STAGE.get(action, "report"))
            data["photos"] = [p.pk for p in saved]
        _write_event(
            case,
            kind=CaseEvent.Kind.UPDATED,
            action=action,
            from_state=from_state,
            actor=actor,
            role=acting_role,
            now=now,
            note=note,
            data=data,
            extra_groups=[old_department_id],
        )
        for follow_action, follow_params in followups:
            # Each returns the case as it wrote it (with what summaries read): the newest copy.
            case = act(case.number, follow_action, None, params=follow_params, role=SYSTEM, now=now)
    return case


def _already_done(case, action, actor, request_key) -> bool:
    """True when this request was applied before (a resent batch); a key another action or person
    used is a conflict, never a second change."""
    first = case.events.filter(data__request_key=request_key).only("action", "actor_id").first()
    if first is None:
        return False
    if first.action != action or first.actor_id != getattr(actor, "pk", None):
        raise Conflict(_("请求标识已用于另一操作。"), fields={"idempotency_key": "reused"})
    return True


def _conflict(case) -> Conflict:
    """A stale version, said in words: who last changed the case, when, how, and its state now."""
    last = case.events.select_related("actor").order_by("-id").first()
    state = State(case.state).label
    if last is None:
        return Conflict(current_version=case.version, state=case.state)
    transition = TRANSITIONS.get(last.action)
    who = (last.actor.get_full_name() or last.actor.username) if last.actor_id else _("系统")
    message = _("案卷已被他人更新，本次操作未执行：%(who)s 于 %(at)s “%(action)s”，案卷现为“%(state)s”。") % {
        "who": who,
        "at": timezone.localtime(last.created_at).strftime("%m-%d %H:%M"),
        "action": transition.label if transition else last.action,
        "state": state,
    }
    return Conflict(
        message,
        current_version=case.version,
        state=case.state,
        changed_by=who,
        changed_action=last.action,
        changed_at=last.created_at.isoformat(),
    )


def _clock(case, now) -> dict:
    """The stage clock in force when an action is taken, kept in its event: evaluation reads
    "on time" from the log, never from the case as it is later."""
    if case.due_at is None:
        return {"due_at": None, "on_time": None, "stage_elapsed_s": None}
    elapsed = None
    if case.stage_limit_s is not None:
        # Time the stage took, in its own kind of time (working seconds for working-time limits).
        elapsed = round(case.stage_limit_s - deadlines.remaining(now, case.due_at, case.stage_unit))
    return {"due_at": utc_iso(case.due_at), "on_time": now <= case.due_at, "stage_elapsed_s": elapsed}


def utc_iso(moment) -> str | None:
    """UTC to the second: such strings compare in time order, also inside a JSON field's SQL."""
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else None


def _department_code(department_id) -> str | None:
    department = reference.department(department_id) if department_id is not None else None
    return department.code if department else None


_PHOTO_STAGE = {"verify": "verify", "handle": "handle", "check": "check"}
_RESTARTS_CLOCK = {"check"}  # a failed check goes back to dispatched with a new handling clock


def _enter_state(case, from_state, now) -> None:
    if from_state == State.DISPATCHED and case.state == State.SUSPENDED:
        deadlines.pause(case, now)
    elif from_state == State.SUSPENDED and case.state == State.DISPATCHED:
        deadlines.resume(case, now)
    else:
        deadlines.start_stage(case, STAGE_OF_STATE.get(case.state), now)
        if case.state == State.DISPATCHED or from_state == State.DISPATCHED:
            _reset_levers(case)


def _reset_levers(case) -> None:
    """A new handling stage (dispatch, rework) or leaving it: the urges and orders of the last one
    are done with; the automatic steps may run again for the new clock."""
    case.urge_count = 0
    case.auto_urged_at = case.escalate_at = case.auto_supervised_at = None
    case.supervision_due_at, case.supervision_overdue = None, False


def _check_params(transition, params, checked_photos) -> None:
    """The transition's declared fields and photos (workflow.check_params) decide; one message."""
    problems = check_params(transition, params, len(checked_photos))
    if not problems:
        return
    name, problem = next(iter(problems.items()))
    field = transition.field(name)
    if len(problems) == 1 and problem == "out_of_range" and field is not None:
        message = _("“%(label)s”须在 %(min)s 到 %(max)s 之间。") % {
            "label": field.label,
            "min": f"{field.min:g}",
            "max": f"{field.max:g}",
        }
    elif len(problems) == 1 and name == "photos" and problem == "required":
        message = _("此操作须上传照片。")
    elif len(problems) == 1 and name == "photos" and problem == "not_accepted":
        message = _("此操作不接受照片。")
    else:
        message = _("缺少或无效的字段：%(f)s") % {"f": ", ".join(sorted(problems))}
    raise InvalidData(message, fields=problems)


def _inspector(value):
    """An active inspector, named by username (or a user object from internal callers)."""
    inspectors = get_user_model().objects.filter(groups__name=Role.INSPECTOR, is_active=True)
    pk = getattr(value, "pk", None)
    inspector = inspectors.filter(pk=pk).first() if pk else inspectors.filter(username=str(value)).first()
    if inspector is None:
        raise InvalidData(_("找不到这个监督员：%(v)s") % {"v": value}, fields={"inspector": "unknown"})
    return inspector


def _department(value) -> Department:
    dept = Department.objects.filter(code=str(value), active=True).first()
    if dept is None:
        raise InvalidData(_("找不到这个部门：%(v)s") % {"v": value}, fields={"department": "unknown"})
    return dept


def cell_inspector(case):
    """The inspector responsible for the case's grid cell (first of its responsibility grid): one query."""
    if not case.cell_id:
        return None
    first_grid = ResponsibilityGrid.objects.filter(cells=case.cell_id).values("pk")[:1]
    inspectors = get_user_model().objects.filter(responsibility_grids=Subquery(first_grid), is_active=True)
    return inspectors.order_by("username").first()


# Each action's own effect on the case: returns (note, event data, follow-up system actions).


def _apply_send_verify(case, params, actor, now):
    inspector = _inspector(params["inspector"])
    case.assigned_inspector = inspector
    return params.get("note", ""), {"inspector": inspector.username}, []


def _apply_verify(case, params, actor, now):
    case.verify_result = params["result"]
    return params.get("note", ""), {"result": params["result"]}, []


def _apply_register(case, params, actor, now):
    note = params.get("note", "")
    if case.needs_verification and case.verify_result != "exists" and not str(note).strip():
        raise InvalidData(
            _("公众上报的案件须先核实属实；不经核实立案须填写说明。"), fields={"note": "required_without_verification"}
        )
    suggested = suggest_department_for_case(case, exclude=returned_by(case))
    case.suggested_department = suggested
    data = {"suggested_department": suggested.code if suggested else None, "self_resolved": case.self_resolved}
    followups = []
    if not case.self_resolved and case.category.auto_dispatch and suggested is not None:
        followups.append(("dispatch", {"department": suggested.code, "note": "auto"}))
    return note, data, followups


def _apply_classify(case, params, actor, now):
    """分类定位: a call-taker completes a resident's report (SMS, voicemail) with the standard's
    category and, when known, the place. The stage clock keeps running."""
    old_category, old_cell = case.category.full_code, case.cell.code if case.cell_id else None
    if params.get("lng") is not None or params.get("lat") is not None:
        case.lng, case.lat = _checked_point(params.get("lng"), params.get("lat"), params.get("crs") or "wgs84")
        case.category, case.cell = _category_and_cell(
            params["category"], _cell_at(case.lng, case.lat), case.lng, case.lat
        )
    else:
        case.category = _resolve_category(params["category"])
    if params.get("address"):
        case.address = str(params["address"])[:200]
    data = {"category": case.category.full_code, "from_category": old_category}
    if case.needs_listening:  # the call-taker listened to the recording to complete it
        case.needs_listening, data["listened"] = False, True
    if (case.cell.code if case.cell_id else None) != old_cell:
        data["cell"] = case.cell.code if case.cell_id else None
    return params.get("note", ""), data, []


def _apply_reject(case, params, actor, now):
    return params["reason"], {"reason": params["reason"]}, []


def _apply_merge(case, params, actor, now):
    master_number = str(params["master"])
    master = Case.objects.filter(number=master_number).first()
    if master is None or master.pk == case.pk:
        raise InvalidData(_("主案卷无效：%(n)s") % {"n": master_number}, fields={"master": "unknown"})
    if master.state not in OPEN_STATES or master.state == State.DUPLICATE:
        raise InvalidData(_("主案卷已办结或已合并，不能合并到它。"), fields={"master": "not_open"})
    case.duplicate_of = master
    return params.get("note", ""), {"master": master.number}, []


def _apply_dispatch(case, params, actor, now):
    dept = _department(params["department"])
    data = {"department": dept.code}
    if case.return_count and case.department_id and case.department_id != dept.pk:
        data["redispatched_from"] = case.department.code  # counts as a wrong dispatch (错误派遣)
    case.department = dept
    case.pending_request, case.pending_hours, case.pending_reason = "", None, ""
    return params.get("note", ""), data, []


def _apply_return(case, params, actor, now):
    case.return_count += 1
    # The next suggestion is never a department that sent the case back (this one included).
    suggested = suggest_department_for_case(case, exclude=returned_by(case) | {case.department.code})
    case.suggested_department = suggested
    # The department stays recorded so a re-dispatch elsewhere can be counted as a wrong dispatch.
    data = {
        "reason": params["reason"],
        "department": case.department.code,
        "suggested_department": suggested.code if suggested else None,
    }
    return params["reason"], data, []


def returned_by(case) -> set[str]:
    """Codes of the departments that returned the case (回退), from its event log."""
    if case.pk is None or not case.return_count:
        return set()
    rows = CaseEvent.objects.filter(case=case, action="return").values_list("data", flat=True)
    return {data["department"] for data in rows if isinstance(data, dict) and data.get("department")}


def _apply_request_postpone(case, params, actor, now):
    hours = params["hours"]  # a whole number within the table's limits (check_params)
    if case.pending_request:
        raise Conflict(_("已有待审批的申请。"), fields={"pending_request": case.pending_request})
    cap = WorkflowSettings.current().max_postpones
    if case.postpone_count >= cap:
        raise Conflict(
            _("本案卷已延期 %(n)s 次，已达上限。") % {"n": case.postpone_count}, fields={"hours": "too_many_postpones"}
        )
    case.pending_request, case.pending_hours, case.pending_reason = "postpone", hours, params["reason"]
    return params["reason"], {"hours": hours}, []


def _apply_decide_postpone(case, params, actor, now):
    if case.pending_request != "postpone":
        raise Conflict(_("没有待审批的延期申请。"), fields={"pending_request": "none"})
    approve = params["approve"]  # a boolean (check_params)
    hours = case.pending_hours
    if approve:
        deadlines.extend(case, hours, now)
        case.postpone_count += 1
    case.pending_request, case.pending_hours, case.pending_reason = "", None, ""
    return params.get("note", ""), {"approve": approve, "hours": hours}, []


def _apply_request_suspend(case, params, actor, now):
    if case.pending_request:
        raise Conflict(_("已有待审批的申请。"), fields={"pending_request": case.pending_request})
    case.pending_request, case.pending_reason = "suspend", params["reason"]
    return params["reason"], {}, []


def _apply_decide_suspend(case, params, actor, now):
    if case.pending_request != "suspend":
        raise Conflict(_("没有待审批的挂账申请。"), fields={"pending_request": "none"})
    case.pending_request, case.pending_hours, case.pending_reason = "", None, ""
    return params.get("note", ""), {"approve": params["approve"]}, []


def _apply_resume(case, params, actor, now):
    return params.get("note", ""), {}, []


def _apply_handle(case, params, actor, now):
    case.pending_request, case.pending_hours, case.pending_reason = "", None, ""
    followups = []
    inspector = cell_inspector(case)
    if inspector is not None:
        followups.append(("send_check", {"inspector": inspector.username}))
    return params["note"], {}, followups


def _apply_send_check(case, params, actor, now):
    inspector = _inspector(params["inspector"])
    case.assigned_inspector = inspector
    return params.get("note", ""), {"inspector": inspector.username}, []


def _apply_check(case, params, actor, now):
    if params["result"] == "failed":
        case.rework_count += 1  # 返工: back to the same department with a new handling clock
    return params.get("note", ""), {"result": params["result"]}, []


def _apply_close(case, params, actor, now):
    return params.get("note", ""), {}, []


def _apply_urge(case, params, actor, now):
    case.urge_count += 1
    return params["note"], {"urge_count": case.urge_count, "automatic": actor is None}, []


def _apply_supervise(case, params, actor, now):
    hours = params["reply_hours"]
    case.supervision_due_at = calendar.add_working_time(now, hours, "work_hours")
    case.supervision_overdue = False
    data = {"reply_hours": hours, "reply_by": utc_iso(case.supervision_due_at), "automatic": actor is None}
    return params["note"], data, []


def _apply_reply_supervision(case, params, actor, now):
    if case.supervision_due_at is None:
        raise Conflict(_("没有待回复的督办单。"), fields={"supervision": "none"})
    on_time = now <= case.supervision_due_at
    data = {"reply_by": utc_iso(case.supervision_due_at), "reply_on_time": on_time}
    case.supervision_due_at, case.supervision_overdue = None, False
    return params["note"], data, []


def _apply_instruct(case, params, actor, now):
    case.instruction, case.instruction_pending = params["note"], True
    return params["note"], {}, []


def _apply_acknowledge(case, params, actor, now):
    if not case.instruction_pending:
        raise Conflict(_("没有待签收的领导批示。"), fields={"instruction": "none"})
    case.instruction_pending = False
    return params.get("note", ""), {"instruction": case.instruction[:500]}, []


def _apply_add_note(case, params, actor, now):
    return params["note"], {}, []


def _apply_cancel(case, params, actor, now):
    return params["reason"], {"reason": params["reason"]}, []


_APPLY = {
    "send_verify": _apply_send_verify,
    "verify": _apply_verify,
    "classify": _apply_classify,
    "register": _apply_register,
    "reject": _apply_reject,
    "merge": _apply_merge,
    "dispatch": _apply_dispatch,
    "return": _apply_return,
    "request_postpone": _apply_request_postpone,
    "decide_postpone": _apply_decide_postpone,
    "request_suspend": _apply_request_suspend,
    "decide_suspend": _apply_decide_suspend,
    "resume": _apply_resume,
    "handle": _apply_handle,
    "send_check": _apply_send_check,
    "check": _apply_check,
    "close": _apply_close,
    "urge": _apply_urge,
    "supervise": _apply_supervise,
    "reply_supervision": _apply_reply_supervision,
    "instruct": _apply_instruct,
    "acknowledge": _apply_acknowledge,
    "add_note": _apply_add_note,
    "cancel": _apply_cancel,
}


# --------------------------------------------------------------------------- evidence


def record_evidence(
    case, *, actor=None, role=None, note="", photo_files=(), data=None, recording_url="", now=None
) -> CaseEvent:
    """Add what arrives after a report (MMS photos fetched later, a voicemail's transcript, a
    call's recording) to the case's log without changing its state. Machines (the hotline) or any
    staff member may. A recording is kept on the case once (the first one given)."""
    now = now or timezone.now()
    if actor is None and role not in MACHINE_ROLES:
        raise Forbidden()
    if actor is not None and not roles_of(actor):
        raise Forbidden()
    checked_photos = photos.check_photos(photo_files)
    number = case.number if isinstance(case, Case) else case
    with transaction.atomic():
        case = _locked_case(number=number)
        if case is None:
            raise NotFound(_("案卷 %(number)s 不存在。") % {"number": number})
        data = dict(data or {})
        # The stage clock goes forward with the event: the evaluation reads a case's last event,
        # and a photo arriving late must not make an overdue case look on time.
        data.setdefault("next_due_at", utc_iso(case.due_at))
        data.setdefault("department", _department_code(case.department_id))
        if checked_photos:
            data["photos"] = [p.pk for p in photos.save_photos(case, checked_photos, "report")]
        fields = ["version", "updated_at"]
        if recording_url and not case.recording_url:
            # The URL stays on the case (for the door that fetches it), out of the log: events reach
            # handsets and boards of roles that may not hear a resident's voice.
            case.recording_url, data["recording"] = recording_url[:500], True
            fields.append("recording_url")
        case.version += 1
        case.save(update_fields=fields)
        return _write_event(
            case,
            kind=CaseEvent.Kind.UPDATED,
            action="evidence",
            from_state=case.state,
            actor=actor,
            role=role or sorted(roles_of(actor))[0],
            now=now,
            note=note[:2000],
            data=data,
        )


# --------------------------------------------------------------------------- 回访 (callbacks)

CALLBACK_RESULTS = ("satisfied", "basically_satisfied", "not_satisfied", "unreachable")


def record_callback(
    case, *, result: str, actor=None, role=None, note="", channel="call", followup=None, now=None
) -> CaseEvent:
    """The resident's answer to a 回访 (a call-taker's call or the SMS reply) as one event on the
    closed case: evaluation reads satisfaction (satisfied ÷ reached) from the log."""
    if result not in CALLBACK_RESULTS:
        raise InvalidData(fields={"result": "invalid"})
    data = {
        "result": result,
        "channel": channel,
        "reached": result != "unreachable",
        "satisfied": result in ("satisfied", "basically_satisfied"),
    }
    if followup:
        data["followup"] = followup  # the new case opened for a resident not satisfied
    return _log_only(case, "callback", actor=actor, role=role, note=note, data=data, now=now, once=True)


def _log_only(case, action, *, actor, role, note, data, now, once=False) -> CaseEvent:
    now = now or timezone.now()
    if actor is None and role not in MACHINE_ROLES:
        raise Forbidden()
    if actor is not None and not roles_of(actor):
        raise Forbidden()
    number = case.number if isinstance(case, Case) else case
    with transaction.atomic():
        case = _locked_case(number=number)
        if case is None:
            raise NotFound(_("案卷 %(number)s 不存在。") % {"number": number})
        if once and CaseEvent.objects.filter(case=case, action=action).exists():
            raise Conflict(_("该案卷已回访。"), fields={"result": "already_recorded"})
        data = {**data, "next_due_at": utc_iso(case.due_at), "department": _department_code(case.department_id)}
        case.version += 1
        case.save(update_fields=["version", "updated_at"])
        return _write_event(
            case,
            kind=CaseEvent.Kind.UPDATED,
            action=action,
            from_state=case.state,
            actor=actor,
            role=role or sorted(roles_of(actor))[0],
            now=now,
            note=note[:2000],
            data=data,
        )


# --------------------------------------------------------------------------- warning lights


def record_light_change(case_id: int, now: datetime | None = None) -> CaseEvent | None:
    """Re-read a case's light at `now`; if it changed, store it and log one `case.warning` event."""
    now = now or timezone.now()
    with transaction.atomic():
        case = _locked_case(pk=case_id)
        if case is None or case.state not in STAGE_OF_STATE or case.due_at is None:
            return None
        light = deadlines.light_at(case, now)
        if light == case.light:
            return None
        old, case.light = case.light, light
        case.save(update_fields=["light", "updated_at"])
        return _write_event(
            case,
            kind=CaseEvent.Kind.WARNING,
            action="warn",
            from_state=case.state,
            actor=None,
            role=SYSTEM,
            now=now,
            data={"from_light": old, "light": light},
        )


def cases_with_light_change(now: datetime):
    """Ids of cases whose light is out of date at `now`: two range scans on partial indexes."""
    turning_yellow = Case.objects.filter(light=Light.GREEN, yellow_at__lte=now).values_list("id", flat=True)
    turning_red = Case.objects.filter(light__in=[Light.GREEN, Light.YELLOW], due_at__lte=now).values_list(
        "id", flat=True
    )
    return sorted(set(turning_yellow) | set(turning_red))


# --------------------------------------------------------------------------- 催办 / 督办 by the system


def cases_to_auto_urge(now: datetime) -> list[int]:
    """Handling clocks past due that the system has not urged yet (partial index)."""
    return list(
        Case.objects.filter(state=State.DISPATCHED, auto_urged_at__isnull=True, due_at__lte=now)
        .order_by("due_at")
        .values_list("id", flat=True)
    )


def cases_to_escalate(now: datetime) -> list[int]:
    return list(
        Case.objects.filter(state=State.DISPATCHED, auto_supervised_at__isnull=True, escalate_at__lte=now)
        .order_by("escalate_at")
        .values_list("id", flat=True)
    )


def supervisions_overdue(now: datetime) -> list[int]:
    return list(
        Case.objects.filter(supervision_overdue=False, supervision_due_at__lte=now).values_list("id", flat=True)
    )


def auto_urge(case_id: int, now: datetime | None = None, settings: WorkflowSettings | None = None):
    """A case turned red: the system urges the department once and sets when it escalates.
    The step is claimed with a conditional UPDATE in the transaction that writes the event: a
    second worker's UPDATE waits for the first to commit, then matches no row."""
    now = now or timezone.now()
    settings = settings or WorkflowSettings.current()
    case = Case.objects.filter(pk=case_id).only("due_at").first()
    if case is None or case.due_at is None:
        return None
    escalate_at = None
    if settings.escalate_after_hours:
        escalate_at = calendar.add_working_time(case.due_at, settings.escalate_after_hours, "work_hours")
    with transaction.atomic():
        claimed = Case.objects.filter(
            pk=case_id, state=State.DISPATCHED, auto_urged_at__isnull=True, due_at__lte=now
        ).update(auto_urged_at=now, escalate_at=escalate_at)
        if not claimed:
            return None
        if not settings.auto_urge_on_red:
            return None  # claimed quietly: escalation still follows its own setting
        note = _("案卷已超过处置时限，请尽快处置。")
        return act(case_id_number(case_id), "urge", None, role=SYSTEM, params={"note": note}, now=now)


def auto_supervise(case_id: int, now: datetime | None = None, settings: WorkflowSettings | None = None):
    """Still red past the threshold: the system issues a 督办 order once and tells the leaders."""
    now = now or timezone.now()
    settings = settings or WorkflowSettings.current()
    with transaction.atomic():
        claimed = Case.objects.filter(
            pk=case_id, state=State.DISPATCHED, auto_supervised_at__isnull=True, escalate_at__lte=now
        ).update(auto_supervised_at=now)
        if not claimed:
            return None
        note = _("红灯超过 %(h)s 个工作时仍未处置，系统自动督办。") % {"h": settings.escalate_after_hours}
        params = {"note": note, "reply_hours": settings.supervision_reply_hours}
        return act(case_id_number(case_id), "supervise", None, role=SYSTEM, params=params, now=now)


def mark_supervision_overdue(case_id: int, now: datetime | None = None) -> CaseEvent | None:
    """An order unanswered by its reply-by time turns red on its own clock: one event, once."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = Case.objects.filter(pk=case_id, supervision_overdue=False, supervision_due_at__lte=now).update(
            supervision_overdue=True
        )
        if not claimed:
            return None
        case = _locked_case(pk=case_id)
        case.version += 1
        case.save(update_fields=["version", "updated_at"])
        return _write_event(
            case,
            kind=CaseEvent.Kind.WARNING,
            action="supervision_overdue",
            from_state=case.state,
            actor=None,
            role=SYSTEM,
            now=now,
            data={
                "reply_by": utc_iso(case.supervision_due_at),
                "next_due_at": utc_iso(case.due_at),
                "department": _department_code(case.department_id),
            },
        )


def case_id_number(case_id: int) -> str:
    return Case.objects.filter(pk=case_id).values_list("number", flat=True).get()


def escalation_pass(now: datetime | None = None) -> int:
    """One pass of the automatic levers; returns how many steps were written."""
    now = now or timezone.now()
    settings = WorkflowSettings.current()
    written = 0
    for case_id in cases_to_auto_urge(now):
        written += _safely(auto_urge, case_id, now, settings)
    for case_id in cases_to_escalate(now):
        written += _safely(auto_supervise, case_id, now, settings)
    for case_id in supervisions_overdue(now):
        written += _safely(mark_supervision_overdue, case_id, now)
    return written


def _safely(step, case_id, now, *args) -> int:
    try:
        return step(case_id, now, *args) is not None
    except (WrongState, Conflict, NotFound):
        return 0  # the case moved on between the scan and the step
