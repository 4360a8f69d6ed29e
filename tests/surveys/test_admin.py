"""The surveys admin shows everything and changes nothing."""

import pytest
from django.contrib.auth.models import User

from surveys.models import Page, Question


@pytest.fixture
def admin_client(client, kgst_survey):
    client.force_login(User.objects.create_superuser("root", "root@example.org", "Test-Passwort-123"))
    return client


def test_pages_render(admin_client, kgst_survey):
    question = Question.objects.get(code="F1_hemmnisse")
    for url in ("/admin/surveys/survey/", f"/admin/surveys/survey/{kgst_survey.pk}/change/",
                "/admin/surveys/page/", f"/admin/surveys/page/{Page.objects.get(code='P1').pk}/change/",
                "/admin/surveys/question/?q=B1", f"/admin/surveys/question/{question.pk}/change/"):
        response = admin_client.get(url)
        assert response.status_code == 200, url
    body = admin_client.get(f"/admin/surveys/question/{question.pk}/change/").content.decode()
    assert "Keine Hemmnisse" in body


def test_read_only(admin_client, kgst_survey):
    assert admin_client.get("/admin/surveys/survey/add/").status_code == 403
    response = admin_client.post(f"/admin/surveys/survey/{kgst_survey.pk}/change/", {"title": "Hacked"})
    assert response.status_code == 403
    kgst_survey.refresh_from_db()
    assert kgst_survey.title == "Wie nutzen Kommunen Social Media?"
    assert admin_client.post(f"/admin/surveys/survey/{kgst_survey.pk}/delete/", {"post": "yes"}).status_code == 403
