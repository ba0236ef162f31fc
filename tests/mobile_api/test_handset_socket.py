"""/ws/handset/: token in the first message, this user's events, resume from the log."""

import asyncio
import json
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone
from rest_framework.test import APIClient

from citymgmt.asgi import application
from mobile_api import consumers
from mobile_api.models import ApiToken
from tests.sockets import do, make, receive_all

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@database_sync_to_async
def token_for(user) -> str:
    return ApiToken.issue(user)[1]


async def open_socket(path="/ws/handset/"):
    communicator = WebsocketCommunicator(application, path)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def authed(user, since=None):
    communicator = await open_socket()
    message = {"type": "auth", "token": await token_for(user)}
    if since is not None:
        message["since"] = since
    await communicator.send_to(text_data=json.dumps(message))
    hello = json.loads(await communicator.receive_from())
    assert hello["type"] == "authenticated" and hello["user"]["username"] == user.username
    return communicator


async def test_wrong_token_closes_with_4401(city):
    communicator = await open_socket()
    await communicator.send_to(text_data=json.dumps({"type": "auth", "token": "forged"}))
    error = json.loads(await communicator.receive_from())
    assert error["type"] == "error" and error["error"]["code"] == "not_authenticated"
    assert (await communicator.receive_output())["code"] == 4401


async def test_first_message_must_be_auth(city):
    communicator = await open_socket()
    await communicator.send_to(text_data=json.dumps({"type": "resume", "since": 0}))
    await communicator.receive_from()
    assert (await communicator.receive_output())["code"] == 4401


async def test_token_in_query_string_is_not_accepted(city):
    raw = await token_for(city.user("inspector1"))
    communicator = await open_socket(f"/ws/handset/?token={raw}")
    # Nothing is sent to an unauthenticated socket, whatever the URL says.
    await communicator.send_to(text_data=json.dumps({"type": "ping"}))
    await communicator.receive_from()
    assert (await communicator.receive_output())["code"] == 4401


async def test_silence_closes_after_the_auth_timeout(city, monkeypatch):
    monkeypatch.setattr(consumers, "AUTH_TIMEOUT_S", 0.2)
    communicator = await open_socket()
    error = json.loads(await communicator.receive_from(timeout=2))
    assert error["error"]["message"] == "auth timeout"
    assert (await communicator.receive_output(timeout=2))["code"] == 4401


async def test_inspector_gets_a_new_task_pushed(city, make_case):
    inspector = city.user("inspector1")
    communicator = await authed(inspector)
    case = await make(make_case, "reported")
    assert await receive_all(communicator) == []  # a public report is not theirs yet
    await do(case.number, "send_verify", city.user("calltaker"), inspector="inspector1")
    messages = await receive_all(communicator)
    assert [(m["kind"], m["action"], m["case"]["number"]) for m in messages] == [
        ("case.updated", "send_verify", case.number)
    ]
    assert messages[0]["case"]["assigned_inspector"] == "inspector1"
    await communicator.disconnect()


async def test_department_staff_get_their_department_only(city, make_case):
    huanwei = await authed(city.user("staff_huanwei"))
    shizheng = await authed(city.user("staff_shizheng"))
    case = await make(make_case, "registered")
    await do(case.number, "dispatch", city.user("dispatcher"), department="huanwei")
    assert [m["action"] for m in await receive_all(huanwei)] == ["dispatch"]
    assert await receive_all(shizheng) == []
    await huanwei.disconnect()
    await shizheng.disconnect()


async def test_resume_replays_missed_events_without_gap_or_duplicate(city, make_case):
    inspector = city.user("inspector1")
    first = await authed(inspector)
    case = await make(make_case, "reported")
    await do(case.number, "send_verify", city.user("calltaker"), inspector="inspector1")
    seen = await receive_all(first)
    last_id = seen[-1]["id"]
    await first.disconnect()

    # Offline: verify happens elsewhere (say, another handset of theirs), then the case is registered.
    await do(case.number, "verify", inspector, result="exists")
    await do(case.number, "register", city.user("supervisor"))

    again = await authed(inspector, since=last_id)
    replayed = await receive_all(again)
    assert [m.get("action") for m in replayed[:-1]] == ["verify", "register"]
    assert replayed[-1] == {"type": "synced", "last_id": replayed[-2]["id"]}
    assert all(m["id"] > last_id for m in replayed[:-1])
    # Asking again from the same point gives the same events (the client drops ids it has applied).
    await again.send_to(text_data=json.dumps({"type": "resume", "since": last_id}))
    assert [m.get("id") for m in await receive_all(again)] == [m.get("id") for m in replayed[:-1]] + [None]
    await again.disconnect()


async def test_ping(city):
    communicator = await authed(city.user("inspector1"))
    await communicator.send_to(text_data=json.dumps({"type": "ping"}))
    assert json.loads(await communicator.receive_from()) == {"type": "pong"}
    await communicator.disconnect()


# ------------------------------------------------ a socket lives no longer than its token (issue 13 point 2)


async def authed_with(raw):
    communicator = await open_socket()
    await communicator.send_to(text_data=json.dumps({"type": "auth", "token": raw}))
    assert json.loads(await communicator.receive_from())["type"] == "authenticated"
    return communicator


async def closed_with(communicator, timeout=1.0):
    """The close code the socket gets within `timeout` (after any error message), or None."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if await communicator.receive_nothing(timeout=0.05):
            continue
        output = await communicator.receive_output()
        if output["type"] == "websocket.close":
            return output.get("code")
        message = json.loads(output["text"])
        assert message["type"] == "error" and message["error"]["code"] == "not_authenticated", message
    return None


async def test_logging_out_closes_that_tokens_sockets_within_a_second(city, make_case):
    inspector = city.user("inspector1")
    revoked_raw, kept_raw = await token_for(inspector), await token_for(inspector)
    revoked, kept = await authed_with(revoked_raw), await authed_with(kept_raw)

    @database_sync_to_async
    def log_out():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {revoked_raw}")
        return client.delete("/api/v1/auth/token").status_code

    assert await log_out() == 204
    assert await closed_with(revoked, timeout=1.0) == consumers.CLOSE_UNAUTHENTICATED
    # The same user's other handset keeps its socket, and its events.
    case = await make(make_case, "reported")
    await do(case.number, "send_verify", city.user("calltaker"), inspector="inspector1")
    assert [m["action"] for m in await receive_all(kept)] == ["send_verify"]
    await kept.disconnect()


async def test_an_expiring_token_closes_its_socket_at_expiry(city, monkeypatch):
    inspector = city.user("inspector1")

    @database_sync_to_async
    def short_token():
        token, raw = ApiToken.issue(inspector)
        ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() + timedelta(seconds=0.6))
        return raw

    communicator = await authed_with(await short_token())
    assert await closed_with(communicator, timeout=0.3) is None  # still valid
    assert await closed_with(communicator, timeout=1.5) == consumers.CLOSE_UNAUTHENTICATED
