"""Login page: labels, error summary, redirect to where the user wanted to go."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_login_page_has_labelled_fields(client):
    html = client.get(reverse("staff:login")).content.decode()
    assert '<label class="form-label" for="id_username">' in html
    assert '<label class="form-label" for="id_password">' in html
    assert 'autocomplete="current-password"' in html


def test_wrong_password_shows_error_summary(client, staff_user):
    response = client.post(reverse("staff:login"), {"username": "staff", "password": "falsch"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="error-summary"' in html and "Benutzername oder Passwort ist falsch" in html
    assert 'aria-invalid="true"' in html
    assert "falsch" not in html.split('id="id_password"')[1].split(">")[0]  # password never echoed


def test_login_then_redirect_to_next(client, staff_user):
    target = reverse("staff:register_upload")
    first = client.get(target)
    assert first["Location"] == f"{reverse('staff:login')}?next={target}"
    assert "Bitte melden Sie sich an" in client.get(first["Location"]).content.decode()
    response = client.post(f"{reverse('staff:login')}?next={target}",
                           {"username": "staff", "password": "Test-Passwort-123", "next": target})
    assert response.status_code == 302 and response["Location"] == target
    assert client.get(target).status_code == 200


def test_open_redirect_is_refused(client, staff_user):
    response = client.post(reverse("staff:login"), {"username": "staff", "password": "Test-Passwort-123",
                                                    "next": "https://evil.example/"})
    assert response["Location"] == reverse("staff:home")


def test_logout_is_post(staff_client):
    assert staff_client.post(reverse("staff:logout")).status_code == 302
    assert staff_client.get(reverse("staff:home")).status_code == 302
