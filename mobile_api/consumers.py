"""/ws/handset/: a handset's live feed of its own work.

The token comes in the first message (`{"type": "auth", "token": …}`), never in the URL, where
proxies and logs would keep it. Then the socket carries the events of the user's cases (reported
by them, sent to them) and, for department staff, their department's; `resume` replays the log.
"""

import asyncio

from channels.db import database_sync_to_async

from city.models import Role
from city.roles import department_of, roles_of
from dispatch.broadcast import dept_group, user_group
from dispatch.consumers import EventStreamConsumer

from .models import ApiToken
from .users import user_info

AUTH_TIMEOUT_S = 10
CLOSE_UNAUTHENTICATED = 4401


class HandsetConsumer(EventStreamConsumer):
    user = None
    _auth_timer = None

    async def connect(self):
        await self.accept()
        self._auth_timer = asyncio.get_running_loop().call_later(
            AUTH_TIMEOUT_S, lambda: asyncio.ensure_future(self._close_unauthenticated("auth timeout"))
        )

    async def disconnect(self, code):
        if self._auth_timer is not None:
            self._auth_timer.cancel()
        await super().disconnect(code)

    async def _close_unauthenticated(self, why: str) -> None:
        if self.user is None:
            await self.send_error("not_authenticated", why)
            await self.close(code=CLOSE_UNAUTHENTICATED)

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
        self.user, groups, info = found
        self._auth_timer.cancel()
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
    return user, groups, user_info(user)
