"""The staff page "API-Schlüssel": create (shown once), list, revoke (POST), only one's own keys."""

import pytest
from django.contrib.auth.models import User

from accounts.models import AuditEvent
from exports.models import ApiKey

pytestmark = pytest.mark.django_db
URL = "/staff/api-schluessel/"


def test_create_shows_the_key_once(analyst_client, kgst_survey, analyst_user):
    response = analyst_client.post(URL, {"name": "Power BI", "survey": kgst_survey.slug, "days": "30"})
    assert response.status_code == 200
    key = ApiKey.objects.get()
    assert key.user == analyst_user and key.survey == kgst_survey and key.name == "Power BI"
    assert 29 <= (key.expires_at - key.created_at).days <= 30
    text = response.content.decode()
    assert f"rl_{key.prefix}_" in text and response["Cache-Control"] == "private, no-store"
    again = analyst_client.get(URL).content.decode()
    assert f"rl_{key.prefix}_…" in again and 'id="new-key"' not in again
    assert AuditEvent.objects.filter(action="api.key_created", actor=analyst_user).exists()


def test_invalid_input_is_a_german_message(analyst_client):
    response = analyst_client.post(URL, {"name": "", "days": "9999"})
    assert response.status_code == 400 and not ApiKey.objects.exists()
    assert "error-summary" in response.content.decode()


def test_revoke_own_key_only(analyst_client, analyst_user, staff_user):
    from exports.api import keys

    own = keys.create_key(analyst_user, "meiner").key
    foreign = keys.create_key(staff_user, "fremd").key
    refused = analyst_client.post(f"{URL}{foreign.pk}/widerrufen/", follow=True)
    assert "Unter Ihren Schlüsseln gibt es diesen nicht." in refused.content.decode()
    assert analyst_client.get(f"{URL}{own.pk}/widerrufen/").status_code == 405
    assert analyst_client.post(f"{URL}{own.pk}/widerrufen/").status_code == 302
    own.refresh_from_db()
    foreign.refresh_from_db()
    assert own.revoked_at is not None and foreign.revoked_at is None
    assert "widerrufen" in analyst_client.get(URL).content.decode()


def test_page_needs_a_role(client):
    client.force_login(User.objects.create_user("ohne", "o@example.org", "x"))
    assert client.get(URL).status_code == 403
    client.logout()
    assert client.get(URL).status_code == 302
