"""All websocket routes. Each route wraps its own authentication (session or token)."""

from channels.auth import AuthMiddlewareStack
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

from dispatch.consumers import BoardConsumer
from mobile_api.consumers import HandsetConsumer


def origin_checked(app):
    """AllowedHostsOriginValidator, reading ALLOWED_HOSTS per connection rather than at import."""

    async def validate(scope, receive, send):
        return await AllowedHostsOriginValidator(app)(scope, receive, send)

    return validate


websocket_urlpatterns: list = [
    path("ws/board/", origin_checked(AuthMiddlewareStack(BoardConsumer.as_asgi()))),
    # No origin check: native apps send no Origin, and the token (not a cookie) is what authenticates.
    path("ws/handset/", HandsetConsumer.as_asgi()),
]
