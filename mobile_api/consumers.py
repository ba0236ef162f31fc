"""/ws/handset/: a handset's live feed of its own work.

The token comes in the first message (`{"type": "auth", "token": …}`), never in the URL, where
proxies and logs would keep it. The socket lives no longer than its token: revoking it closes the
socket (its token's group gets `token.revoked`), and it closes itself when the token expires; both
with code 4401. Then the socket carries the events of the user's cases (reported
by them, sent to them) and, for department staff, their department's; `resume` replays the log.
"""

import asyncio

from channels.db import database_sync_to_async
from django.utils import timezone

from city.models import Role
from city.roles import department_of, roles_of
from dispatch.broadcast import dept_group, user_group
from dispatch.consumers import EventStreamConsumer

from .models import ApiToken
from .sockets import token_group
from .users import user_info

AUTH_TIMEOUT_S = 10
CLOSE_UNAUTHENTICATED = 4401


class HandsetConsumer(EventStreamConsumer):
    user = None
    _auth_timer = None
    _expiry_timer = None
    _token_group = None

    async def connect(self):
        await self.accept()
        self._auth_timer = asyncio.get_running_loop().call_later(
            AUTH_TIMEOUT_S, lambda: asyncio.ensure_future(self._close_unauthenticated("auth timeout"))
        )

    async def disconnect(self, code):
        for timer in (self._auth_timer, self._expiry_timer):
            if timer is not None:
                timer.cancel()
        if self._token_group is not None:
            await self.channel_layer.group_discard(self._token_group, self.channel_name)
        await super().disconnect(code)

    async def _close_unauthenticated(self, why: str) -> None:
        if self.user is None:
            await self.send_error("not_authenticated", why)
            await self.close(code=CLOSE_UNAUTHENTICATED)

    async def _sign_out(self, why: str) -> None:
        """The token stopped being valid: no more events on this socket."""
        if self.user is None:
            return
        self.user = None
        if self._expiry_timer is not None:
            self._expiry_timer.cancel()
        for group in (*self.groups_joined, self._token_group):
            await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined, self._token_group = (), None
        await self.send_error("not_authenticated", why)
        await self.close(code=CLOSE_UNAUTHENTICATED)

    async def token_revoked(self, event):
        await self._sign_out("token revoked")

    async def on_message(self, message: dict) -> None:
        if self.user is not None:
            await super().on_message(message)
            return
        if message.get("type") != "auth" or not isinstance(message.get("token"), str):
            await self._close_unauthenticated('the first message must be {"type": "auth", "token": …}')
            return
        found = await database_sync_to_async(_session_for)(message["token"])
        if found is None:
            await self._close_unauthenticated("invalid, expired or revoked token")
            return
        self.user, groups, info, token_id, expires_at = found
        self._auth_timer.cancel()
        # The token's group first: a revoke committed from here on reaches this socket.
        self._token_group = token_group(token_id)
        await self.channel_layer.group_add(self._token_group, self.channel_name)
        if not await database_sync_to_async(_still_valid)(token_id):
            await self._sign_out("invalid, expired or revoked token")  # revoked in between
            return
        loop = asyncio.get_running_loop()
        delay = max(0.0, (expires_at - timezone.now()).total_seconds())
        self._expiry_timer = loop.call_later(delay, lambda: asyncio.ensure_future(self._sign_out("token expired")))
        await self.join(groups)
        await self.send_json({"type": "authenticated", "user": info})
        if message.get("since") is not None:
            await self.resume(message["since"])
        else:
            await self.start_from_now()


def _session_for(raw_token: str):
    token = ApiToken.find_valid(raw_token)
    if token is None:
        return None
    user = token.user
    groups = {user_group(user.pk)}
    department = department_of(user)
    if department is not None and Role.DEPARTMENT_STAFF in roles_of(user):
        groups.add(dept_group(department.pk))
    return user, groups, user_info(user), token.pk, token.expires_at


def _still_valid(token_id: int) -> bool:
    return ApiToken.objects.filter(pk=token_id, revoked_at__isnull=True, expires_at__gt=timezone.now()).exists()
