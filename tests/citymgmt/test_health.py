def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_checks_database_and_channel_layer(client, db, settings):
    body = client.get("/readyz").json()
    redis = {"redis": "ok"} if settings.REDIS_URL else {}
    assert body["checks"] == {"database": "ok", "channel_layer": "ok", **redis}


def test_readyz_is_503_when_the_channel_layer_is_unreachable(client, db, settings):
    # A Redis nobody listens on: port 9 (discard) on loopback refuses connections.
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:9/0"]},
        }
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert (checks["database"], checks["channel_layer"]) == ("ok", "unreachable")


def test_readyz_is_503_when_the_database_is_unreachable(client, db, monkeypatch):
    from django.db.backends.utils import CursorWrapper

    def refuse(self, sql, params=None):
        raise OSError("connection refused")

    with monkeypatch.context() as patched:
        patched.setattr(CursorWrapper, "execute", refuse)
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "unreachable"
