import pytest
from django.db import connection


@pytest.mark.django_db
def test_runs_on_postgresql():
    assert connection.vendor == "postgresql"


@pytest.mark.django_db
def test_staff_home_requires_login(client):
    response = client.get("/staff/")
    assert response.status_code == 302
    assert "/staff/login/" in response["Location"]


@pytest.mark.django_db
def test_staff_home_for_analyst(analyst_client):
    assert analyst_client.get("/staff/").status_code == 200


@pytest.mark.django_db
def test_security_headers(client):
    response = client.get("/staff/login/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
