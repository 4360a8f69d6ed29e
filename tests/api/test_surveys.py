"""GET /api/v1/surveys/ and /api/v1/surveys/<slug>/, and what is not in the API."""

import pytest

from surveys.models import Survey

from .conftest import bearer

pytestmark = pytest.mark.django_db


def test_lists_what_the_key_may_see_with_capabilities(client, kgst_survey, staff_user, analyst_user, make_key,
                                                      empty_cache):
    Survey.objects.create(slug="zweite", title="Zweite")
    staff = client.get("/api/v1/surveys/", **bearer(make_key(staff_user))).json()
    assert [s["slug"] for s in staff] == [kgst_survey.slug, "zweite"]
    assert staff[0]["capabilities"] == ["definition", "exports", "members", "responses", "results"]
    analyst = client.get(f"/api/v1/surveys/{kgst_survey.slug}/", **bearer(make_key(analyst_user))).json()
    assert analyst["capabilities"] == ["definition", "exports", "responses", "results"]
    assert analyst["title"] == kgst_survey.title and analyst["status"] == "open"
    scoped = client.get("/api/v1/surveys/", **bearer(make_key(staff_user, survey=kgst_survey))).json()
    assert [s["slug"] for s in scoped] == [kgst_survey.slug]


def test_unknown_survey_and_path_are_problems(client, staff_user, make_key, empty_cache):
    key = make_key(staff_user)
    for path in ("/api/v1/surveys/gibt-es-nicht/", "/api/v1/gibt-es-nicht/"):
        response = client.get(path, **bearer(key))
        assert response.status_code == 404 and response["Content-Type"] == "application/problem+json"
        assert response.json()["status"] == 404


def test_read_only_methods(client, kgst_survey, staff_user, make_key, empty_cache):
    response = client.delete(f"/api/v1/surveys/{kgst_survey.slug}/", **bearer(make_key(staff_user)))
    assert response.status_code == 405 and response.json()["title"] == "Method Not Allowed"
