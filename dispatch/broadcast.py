"""Case events to websocket groups, after the transaction commits (never before).

Groups: `board` (every staff board), `dept.<id>` (that department's staff), `user.<id>` (the
assigned inspector, the reporting inspector's handset). Residents' phone numbers never go out.
"""

import asyncio
import logging
import threading

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from . import display

logger = logging.getLogger(__name__)

BOARD_GROUP = "board"


def dept_group(department_id) -> str:
    return f"dept.{department_id}"


def user_group(user_id) -> str:
    return f"user.{user_id}"


def case_summary(case) -> dict:
    """What boards and handsets may see of a case: no resident's name or phone. The time left is
    as of now (the consoles refresh it once a minute from board.clock)."""
    names = display.area_names(case)
    return {
        "number": case.number,
        "state": case.state,
        "category": case.category.full_code,
        "category_name": case.category.name,
        "category_name_en": case.category.name_en,  # live events go to boards in either language
        "urgency": case.urgency,
        "source": case.source,
        "needs_verification": case.needs_verification,
        "light": case.light,
        "due_at": case.due_at.isoformat() if case.due_at else None,
        "department": case.department.code if case.department_id else None,
        "department_id": case.department_id,
        "suggested_department": case.suggested_department.code if case.suggested_department_id else None,
        "assigned_inspector": case.assigned_inspector.username if case.assigned_inspector_id else None,
        "cell": case.cell.code if case.cell_id else None,
        "lng": case.lng,
        "lat": case.lat,
        "address": case.address,
        "place": display.place_label(case),  # as a person reads it; the cell code on hover
        "street": names["street"],
        "community": names["community"],
        "time_left": display.time_left(case),
        "reporter_kind": display.reporter_kind(case),
        "description": case.description[:200],
        "pending_request": case.pending_request,
        "pending_hours": case.pending_hours,
        "stage_unit": case.stage_unit,  # a postponement is asked and shown in this unit
        "pending_reason": case.pending_reason,
        "return_count": case.return_count,
        "rework_count": case.rework_count,
        "urge_count": case.urge_count,
        "supervision_due_at": case.supervision_due_at.isoformat() if case.supervision_due_at else None,
        "flags": case_flags(case),
        "version": case.version,
        "reported_at": case.reported_at.isoformat(),
        "updated_at": case.updated_at.isoformat() if case.updated_at else None,
    }


# What a console highlights on a row (labels: dispatch.labels.client_table()["flags"]).
FLAGS = ("instructed", "supervision_overdue", "supervised", "urged")


def case_flags(case) -> list[str]:
    flags = []
    if case.instruction_pending:
        flags.append("instructed")
    if case.supervision_overdue:
        flags.append("supervision_overdue")
    if case.supervision_due_at is not None:
        flags.append("supervised")
    if case.urge_count:
        flags.append("urged")
    return flags


def event_message(event) -> dict:
    """An event as boards and handsets get it, live or replayed: with the case summary stored on
    the event when it was written. (Events logged before summaries were stored show only what the
    event itself records: the case number and its state then.)"""
    summary = event.summary or {"number": event.case.number, "state": event.to_state}
    return {
        "type": "event",
        "id": event.id,
        "kind": event.kind,
        "action": event.action,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "at": event.created_at.isoformat(),
        "case": summary,
    }


def groups_for(case, departments=()) -> set[str]:
    groups = {BOARD_GROUP}
    for dept_id in {case.department_id, *departments} - {None}:
        groups.add(dept_group(dept_id))
    for user_id in (case.assigned_inspector_id, case.reporter_id):
        if user_id:
            groups.add(user_group(user_id))
    return groups


def broadcast_after_commit(message: dict, groups: set[str]) -> None:
    transaction.on_commit(lambda: _send(message, groups), robust=True)


def _send(message: dict, groups: set[str]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    # One hop into the event loop for all the groups, not one per group.
    send = async_to_sync(_send_all)
    if _loop_running_here():
        # A caller with an event loop of its own on this thread (a script driving a browser,
        # say) cannot hop into ours from here: send from a short-lived thread instead.
        worker = threading.Thread(target=send, args=(layer, message, sorted(groups)))
        worker.start()
        worker.join()
        return
    send(layer, message, sorted(groups))


def _loop_running_here() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


async def _send_all(layer, message: dict, groups: list[str]) -> None:
    for group in groups:
        try:
            await layer.group_send(group, {"type": "case.event", "message": message})
        except Exception:
            # The log is the source of truth: a board that missed this resumes from it.
            logger.exception("broadcast to %s failed for event %s", group, message.get("id"))
