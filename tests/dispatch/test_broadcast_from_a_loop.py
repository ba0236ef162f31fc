"""A case event reaches the boards even when the code that commits it runs on a thread that has an
event loop of its own (a script driving a browser through Playwright's sync API does)."""

import asyncio

from channels.layers import get_channel_layer

from dispatch import broadcast


def test_send_from_a_thread_with_a_running_loop_reaches_the_group():
    layer = get_channel_layer()

    async def scenario():
        channel = await layer.new_channel()
        await layer.group_add(broadcast.BOARD_GROUP, channel)
        # Called synchronously while this thread's loop runs, as on_commit hooks are.
        broadcast._send({"type": "event", "id": 1}, {broadcast.BOARD_GROUP})
        return await asyncio.wait_for(layer.receive(channel), timeout=5)

    received = asyncio.run(scenario())
    assert received == {"type": "case.event", "message": {"type": "event", "id": 1}}
