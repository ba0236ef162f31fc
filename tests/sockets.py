"""Helpers for websocket tests (Channels' WebsocketCommunicator against the real application)."""

import json

from channels.db import database_sync_to_async
from django.utils import timezone

from dispatch import services


async def receive_all(communicator, timeout=0.5):
    """Every message until the socket stays quiet for `timeout` (receive_from's own timeout would
    cancel the consumer)."""
    out = []
    while not await communicator.receive_nothing(timeout=timeout):
        out.append(json.loads(await communicator.receive_from()))
    return out


@database_sync_to_async
def make(make_case, state, **kw):
    return make_case(state, now=timezone.now(), **kw)


@database_sync_to_async
def do(number, action, actor, **params):
    return services.act(number, action, actor, params=params)
