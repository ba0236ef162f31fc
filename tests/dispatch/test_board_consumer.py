"""The board websocket: auth, department scoping, resume from the log, resync."""

import json
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.utils import timezone

from citymgmt.asgi import application
from dispatch import live, services
from dispatch.models import CaseEvent
from tests.sockets import do, make, receive_all

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

HEADERS = [(b"origin", b"http://testserver"), (b"host", b"testserver")]  # the test run allows testserver


@database_sync_to_async
def session_cookie(user) -> bytes:
    """A real session, as a browser signed in through the login page would carry."""
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


async def connect(user=None, path="/ws/board/"):
    headers = list(HEADERS)
    if user is not None:
        headers.append((b"cookie", await session_cookie(user)))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect()
    return communicator, connected, code


async def test_anonymous_and_non_staff_are_refused(city):
    _, connected, _ = await connect()
    assert not connected
    _, connected, _ = await connect(city.user("inspector1"))
    assert not connected


async def test_live_events_reach_the_board_after_commit(city, make_case):
    communicator, connected, _ = await connect(city.user("dispatcher"))
    assert connected
    case = await make(make_case, "registered")
    await do(case.number, "dispatch", city.user("dispatcher"), department="huanwei")
    messages = await receive_all(communicator)
    kinds = [(m["kind"], m["action"]) for m in messages]
    assert kinds[-1] == ("case.updated", "dispatch")
    assert [m["id"] for m in messages] == sorted({m["id"] for m in messages})
    await communicator.disconnect()


async def test_department_staff_see_only_their_department(city, make_case):
    huanwei, _, _ = await connect(city.user("staff_huanwei"))
    shizheng, _, _ = await connect(city.user("staff_shizheng"))
    case = await make(make_case, "registered")
    await do(case.number, "dispatch", city.user("dispatcher"), department="huanwei")
    got_h = await receive_all(huanwei)
    got_s = await receive_all(shizheng)
    assert [m["action"] for m in got_h] == ["dispatch"]
    assert got_s == []
    await huanwei.disconnect()
    await shizheng.disconnect()


async def test_resume_replays_every_missed_event_once_then_syncs(city, make_case):
    dispatcher = city.user("dispatcher")
    first = await make(make_case, "reported")
    since = await database_sync_to_async(live.last_event_id)()
    case = await make(make_case, "registered")
    await do(case.number, "dispatch", dispatcher, department="huanwei")
    expected = await database_sync_to_async(
        lambda: list(CaseEvent.objects.filter(id__gt=since).order_by("id").values_list("id", flat=True))
    )()
    communicator, connected, _ = await connect(dispatcher, f"/ws/board/?since={since}")
    assert connected
    messages = await receive_all(communicator)
    events = [m["id"] for m in messages if m["type"] == "event"]
    assert events == expected  # no gap, no duplicate, in order
    assert messages[-1] == {"type": "synced", "last_id": expected[-1]}
    # Live again: the next event streams, and a resume with the same id replays nothing twice.
    await do(first.number, "reject", city.user("calltaker"), reason="不属实")
    live_messages = await receive_all(communicator)
    assert [m["action"] for m in live_messages] == ["reject"]
    await communicator.send_to(text_data=json.dumps({"type": "resume", "since": live_messages[-1]["id"]}))
    assert await receive_all(communicator) == [{"type": "synced", "last_id": live_messages[-1]["id"]}]
    await communicator.disconnect()


async def test_department_replay_is_scoped_too(city, make_case):
    case = await make(make_case, "registered")
    await do(case.number, "dispatch", city.user("dispatcher"), department="huanwei")
    head = await database_sync_to_async(live.last_event_id)()
    communicator, _, _ = await connect(city.user("staff_shizheng"), "/ws/board/?since=0")
    # Nothing of theirs; the socket continues from the log's head.
    assert await receive_all(communicator) == [{"type": "synced", "last_id": head}]
    await communicator.disconnect()


async def test_a_dropped_live_message_is_filled_in_from_the_log(city, make_case, monkeypatch):
    """The channel layer loses a message: the next one shows a jump in ids, and the socket sends
    the missing event from the log first, in order."""
    from dispatch import broadcast

    communicator, _, _ = await connect(city.user("dispatcher"))
    case = await make(make_case, "registered")
    await receive_all(communicator)
    real = broadcast.broadcast_after_commit
    monkeypatch.setattr(broadcast, "broadcast_after_commit", lambda message, groups: None)
    await do(case.number, "dispatch", city.user("dispatcher"), department="huanwei")  # lost on the way
    monkeypatch.setattr(broadcast, "broadcast_after_commit", real)
    assert await receive_all(communicator) == []
    await do(case.number, "request_suspend", city.user("staff_huanwei"), reason="施工")
    messages = await receive_all(communicator)
    assert [m["action"] for m in messages] == ["dispatch", "request_suspend"]
    assert messages[0]["id"] < messages[1]["id"]
    await communicator.disconnect()


async def test_department_socket_fills_only_its_own_gaps(city, make_case, monkeypatch):
    from dispatch import broadcast

    communicator, _, _ = await connect(city.user("staff_huanwei"))
    other = await make(make_case, "registered")
    case = await make(make_case, "registered")
    real = broadcast.broadcast_after_commit
    monkeypatch.setattr(broadcast, "broadcast_after_commit", lambda message, groups: None)
    await do(case.number, "dispatch", city.user("dispatcher"), department="huanwei")
    monkeypatch.setattr(broadcast, "broadcast_after_commit", real)
    await do(other.number, "dispatch", city.user("dispatcher"), department="shizheng")  # not theirs
    await do(case.number, "request_suspend", city.user("staff_huanwei"), reason="施工")
    messages = await receive_all(communicator)
    assert [(m["action"], m["case"]["number"]) for m in messages] == [
        ("dispatch", case.number), ("request_suspend", case.number)
    ]  # fmt: skip
    await communicator.disconnect()


async def test_rolled_back_changes_never_reach_the_board(city, make_case):
    communicator, _, _ = await connect(city.user("dispatcher"))
    case = await make(make_case, "registered")
    await receive_all(communicator)

    def dispatch_then_fail():
        with transaction.atomic():
            services.act(case.number, "dispatch", city.user("dispatcher"), params={"department": "huanwei"})
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        await database_sync_to_async(dispatch_then_fail)()
    assert await receive_all(communicator) == []
    await communicator.disconnect()


async def test_resync_when_the_gap_is_older_than_the_replay_window(city, make_case):
    old = timezone.now() - timedelta(hours=settings.REPLAY_MAX_AGE_HOURS + 1)
    await database_sync_to_async(lambda: make_case("reported", now=old))()
    communicator, _, _ = await connect(city.user("supervisor"), "/ws/board/?since=0")
    (message,) = await receive_all(communicator)
    assert message["type"] == "resync" and message["last_id"] > 0
    await communicator.disconnect()


async def test_replay_shows_each_event_as_it_was_written_not_the_case_as_it_is_now(city, make_case):
    """Issue 13.3: a department that returned a case and resumes later gets the events it saw, as
    they were then: not the department the case went to afterwards, nor that department's reason."""
    head = await database_sync_to_async(live.last_event_id)()
    huanwei, _, _ = await connect(city.user("staff_huanwei"))
    case = await make(make_case, "registered")
    await do(case.number, "dispatch", city.user("dispatcher"), department="huanwei")
    await do(case.number, "return", city.user("staff_huanwei"), reason="不归我们管")
    # Later: the case goes to another department (huanwei is told it left them), which then asks
    # for more time for a reason of its own (not huanwei's business).
    await do(case.number, "dispatch", city.user("dispatcher"), department="shizheng")
    await do(case.number, "request_postpone", city.user("staff_shizheng"), hours=24, reason="市政内部原因-保密")
    seen_live = await receive_all(huanwei)
    assert [m["action"] for m in seen_live] == ["dispatch", "return", "dispatch"]
    await huanwei.disconnect()

    communicator, _, _ = await connect(city.user("staff_huanwei"), f"/ws/board/?since={head}")
    replayed = await receive_all(communicator)
    assert replayed[-1]["type"] == "synced"
    assert replayed[:-1] == seen_live  # each event exactly as it went out live
    assert [m["case"]["department"] for m in replayed[:-1]] == ["huanwei", "huanwei", "shizheng"]
    assert "市政内部原因" not in json.dumps(replayed, ensure_ascii=False)
    await communicator.disconnect()
