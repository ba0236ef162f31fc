def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_checks_database_and_channel_layer(client, db, settings):
    body = client.get("/readyz").json()
    redis = {"redis": "ok"} if settings.REDIS_URL else {}
    assert body["checks"] == {"database": "ok", "channel_layer": "ok", **redis}


def test_readyz_says_in_its_body_that_an_in_memory_channel_layer_reaches_one_process(client, db, settings):
    settings.DEBUG = False
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    response = client.get("/readyz")
    assert response.status_code == 200  # one process is a valid deployment
    assert "set REDIS_URL" in response.json()["warnings"]["channel_layer"]
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer", "CONFIG": {"hosts": ["redis://x"]}}
    }
    from citymgmt.checks import deployment_warnings

    assert deployment_warnings() == {}


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


def test_a_domain_error_of_a_non_api_view_is_the_error_json_or_a_page(city, client):
    """One middleware turns domain errors of plain views into answers: JSON for fetch, a page for a browser."""
    from tests.dispatch.test_consoles import client_for

    leader = client_for(city, "leader")
    r = leader.get("/maps/api/cases.json", {"from": "not-a-day"})
    assert r.status_code == 400 and r["Content-Type"].startswith("application/json")
    assert r.json()["error"]["fields"] == {"from": "invalid"}
    page = leader.get("/maps/api/cases.json", {"from": "not-a-day"}, HTTP_ACCEPT="text/html,application/xhtml+xml")
    assert page.status_code == 400 and page["Content-Type"].startswith("text/html")
    assert "from" in page.content.decode()


def test_a_database_outage_is_a_clean_503_in_json_not_a_500(city, client, monkeypatch):
    from django.db import OperationalError
    from django.db.backends.utils import CursorWrapper

    client.force_login(city.user("dispatcher"))

    def refuse(self, sql, params=None):
        raise OperationalError("connection refused")

    with monkeypatch.context() as m:
        m.setattr(CursorWrapper, "execute", refuse)
        for url in ("/api/v1/me", "/maps/api/today.json", "/console/dispatch/"):
            response = client.get(url, HTTP_ACCEPT="application/json")
            assert response.status_code == 503, url
            assert response.json()["error"]["code"] == "unavailable", url
            assert response["Retry-After"] == "5"
        page = client.get("/console/dispatch/", HTTP_ACCEPT="text/html")
    assert page.status_code == 503
    assert "服务暂时不可用" in page.content.decode()
