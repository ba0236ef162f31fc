def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_checks_database_and_channel_layer(client, db):
    body = client.get("/readyz").json()
    assert body["checks"] == {"database": "ok", "channel_layer": "ok"}
