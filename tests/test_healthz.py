import pytest

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_ok(client, settings):
    settings.REDIS_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


@pytest.mark.redis
def test_healthz_checks_redis_when_configured(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["redis"] == "ok"


def test_healthz_fails_when_redis_is_down(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["redis"] == "error"
