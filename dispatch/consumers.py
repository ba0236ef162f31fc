"""Live websockets: the staff board (/ws/board/) and the base every event stream shares."""

import json
import logging
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from city.models import Role
from city.roles import department_of, roles_of

from . import live
from .broadcast import BOARD_GROUP, dept_group

logger = logging.getLogger(__name__)

BOARD_ROLES = {Role.CALL_TAKER, Role.SUPERVISOR, Role.DISPATCHER, Role.DEPARTMENT_STAFF, Role.LEADER, Role.ADMIN}


class EventStreamConsumer(AsyncWebsocketConsumer):
    """Joins its groups first, then replays the log since the client's last id, then says `synced`,
    then streams live events, skipping any it already sent."""

    groups_joined: tuple = ()
    last_sent_id = 0
    synced = False

    async def join(self, groups: set[str]) -> None:
        self.groups_joined = tuple(sorted(groups))
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)

    async def disconnect(self, code):
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def resume(self, since) -> None:
        self.synced = False
        try:
            since = max(0, int(since))
        except (TypeError, ValueError):
            await self.send_error("invalid", "since must be an integer")
            return
        # Every event up to the log's head now is in the replay below: live ones after it need no gap check.
        head = await database_sync_to_async(live.last_event_id)()
        try:
            messages = await database_sync_to_async(live.replay)(set(self.groups_joined), since)
        except live.ResyncNeeded:
            self.last_sent_id = await database_sync_to_async(live.last_event_id)()
            await self.send_json({"type": "resync", "last_id": self.last_sent_id})
            self.synced = True
            return
        self.last_sent_id = since
        for message in messages:
            await self._send_event(message)
        self.last_sent_id = max(self.last_sent_id, head)
        self.synced = True
        await self.send_json({"type": "synced", "last_id": self.last_sent_id})

    async def start_from_now(self) -> None:
        """A client with nothing to resume takes the stream from the log's current end."""
        self.last_sent_id = await database_sync_to_async(live.last_event_id)()
        self.synced = True

    async def case_event(self, event):
        message = event["message"]
        if not self.synced:
            return  # replay will carry it: it is in the log before it is broadcast
        if message["id"] > self.last_sent_id + 1:
            await self._fill_gap(message["id"])
        await self._send_event(message)

    async def _fill_gap(self, before_id: int) -> None:
        """Ids jumped: the channel layer may have dropped a message, or another process's event
        committed earlier but was broadcast later. The log says which of the ids in between were
        ours; they go out first, in order. (For a department's socket most jumps are other
        departments' events: one indexed query per event it receives.)"""
        try:
            missed = await database_sync_to_async(live.replay)(set(self.groups_joined), self.last_sent_id, before_id)
        except live.ResyncNeeded:
            self.last_sent_id = before_id - 1
            await self.send_json({"type": "resync", "last_id": self.last_sent_id})
            return
        for message in missed:
            await self._send_event(message)

    async def inspector_position(self, event):
        await self.send_json(event["message"])

    async def _send_event(self, message):
        if message["id"] <= self.last_sent_id:
            return
        self.last_sent_id = message["id"]
        await self.send_json(message)

    async def send_json(self, content):
        await self.send(text_data=json.dumps(content, ensure_ascii=False))

    async def receive(self, text_data=None, bytes_data=None):
        try:
            message = json.loads(text_data or "")
        except ValueError:
            message = None
        if not isinstance(message, dict):
            await self.send_error("invalid", "messages are JSON objects")
            return
        await self.on_message(message)

    async def on_message(self, message: dict) -> None:
        if message.get("type") == "resume":
            await self.resume(message.get("since", 0))
        elif message.get("type") == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self.send_error("invalid", "unknown message type")

    async def send_error(self, code: str, text: str) -> None:
        await self.send_json({"type": "error", "error": {"code": code, "message": text}})

    def query_since(self):
        values = parse_qs(self.scope.get("query_string", b"").decode()).get("since")
        return values[0] if values else None


class BoardConsumer(EventStreamConsumer):
    """/ws/board/: staff pages. Session auth; a department's staff see only their department."""

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        roles, department = await database_sync_to_async(_roles_and_department)(user)
        if not roles & BOARD_ROLES:
            await self.close(code=4403)
            return
        only_department = Role.DEPARTMENT_STAFF in roles and not roles & (BOARD_ROLES - {Role.DEPARTMENT_STAFF})
        if only_department and department is None:
            await self.close(code=4403)
            return
        await self.accept()
        await self.join({dept_group(department.pk)} if only_department else {BOARD_GROUP})
        since = self.query_since()
        if since is not None:
            await self.resume(since)
        else:
            await self.start_from_now()


def _roles_and_department(user):
    return set(roles_of(user)), department_of(user)
