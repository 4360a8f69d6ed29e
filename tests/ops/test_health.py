"""/health/ against the real PostgreSQL and Redis, with and without a real Celery worker."""

import json

import pytest

from harness.serve import free_port
from tests.ops.conftest import db_url_of_test_run, get, gunicorn
from tests.worker import celery_worker, wait_for

KEYS = {"status", "database", "redis", "worker"}


@pytest.mark.django_db
def test_healthy_without_worker_is_degraded_but_200(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    body = response.json()
    assert set(body) == KEYS
    assert body == {"status": "degraded", "database": "ok", "redis": "ok", "worker": "no worker answered"}


@pytest.mark.django_db
def test_redis_down_is_503_and_reveals_nothing(client, settings):
    port = free_port()  # nothing listens there
    url = f"redis://:geheimes-passwort@127.0.0.1:{port}/7"
    settings.CELERY_BROKER_URL = url
    settings.CACHE_URL = url
    response = client.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["redis"].startswith("error: ")
    assert body["database"] == "ok"
    assert body["worker"] == "unknown (broker unavailable)"
    assert body["status"] == "error"
    text = response.content.decode()
    for secret in ("geheim", str(port), "127.0.0.1", "redis://"):
        assert secret not in text


@pytest.mark.django_db
def test_no_login_needed_and_only_get(client):
    assert client.get("/health/").status_code == 200
    assert client.head("/health/").status_code == 200
    assert client.post("/health/").status_code == 405


@pytest.mark.django_db
@pytest.mark.worker
@pytest.mark.slow
def test_worker_answers_while_running_and_is_missed_after_stop(client):
    with celery_worker(concurrency=1):
        assert wait_for(lambda: client.get("/health/").json()["worker"] == "ok", timeout=60)
        body = client.get("/health/").json()
        assert body == {"status": "ok", "database": "ok", "redis": "ok", "worker": "ok"}
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json()["worker"] == "no worker answered"
    assert response.json()["status"] == "degraded"


@pytest.mark.django_db
@pytest.mark.slow
def test_under_gunicorn_database_up_and_down(settings):
    redis = settings.CELERY_BROKER_URL
    with gunicorn({"DATABASE_URL": db_url_of_test_run(), "CELERY_BROKER_URL": redis, "REDIS_URL": redis}) as base:
        status, body, headers = get(base + "/health/")
        assert status == 200, body
        assert json.loads(body)["database"] == "ok"

    dead = f"postgres://postgres:geheim@127.0.0.1:{free_port()}/nirgends"
    with gunicorn({"DATABASE_URL": dead, "CELERY_BROKER_URL": redis, "REDIS_URL": redis}) as base:
        status, body, headers = get(base + "/health/")
        assert status == 503
        data = json.loads(body)
        assert data["database"].startswith("error: ")
        assert data["redis"] == "ok"
        assert data["status"] == "error"
        assert b"Traceback" not in body and b"geheim" not in body and b"nirgends" not in body
