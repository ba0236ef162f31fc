"""A handset socket lives no longer than the token it signed in with.

Each authenticated handset socket joins its token's group; revoking the token sends that group a
close after the commit (the socket closes with 4401). Expiry needs no message: the socket schedules
its own close at the token's `expires_at` when it signs in.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)


def token_group(token_id: int) -> str:
    return f"handset-token.{token_id}"


def close_token_sockets(token_id: int) -> None:
    """Tell every socket signed in with this token to close (called from transaction.on_commit)."""
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(token_group(token_id), {"type": "token.revoked"})
    logger.info("handset sockets of token %s told to close", token_id)
