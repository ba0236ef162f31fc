"""All websocket routes. Each route wraps its own authentication (session or token)."""

websocket_urlpatterns: list = []
