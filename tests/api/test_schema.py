"""/api/v1/schema/ (OpenAPI 3, validated) and the documentation page /api/v1/docs/."""

import pytest
import yaml
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db


def test_schema_validates_and_names_every_endpoint(client):
    response = client.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    validate(schema)
    assert schema["openapi"].startswith("3.")
    paths = set(schema["paths"])
    assert {"/api/v1/surveys/", "/api/v1/surveys/{slug}/responses/", "/api/v1/surveys/{slug}/definition/",
            "/api/v1/surveys/{slug}/members/", "/api/v1/surveys/{slug}/results/", "/api/v1/surveys/{slug}/crosstabs/",
            "/api/v1/surveys/{slug}/exports/", "/api/v1/exports/{id}/", "/api/v1/exports/{id}/file/"} <= paths
    validate(yaml.safe_load(client.get("/api/v1/schema/").content))


def test_docs_page_for_staff_only(client, analyst_client):
    response = analyst_client.get("/api/v1/docs/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "GET /api/v1/surveys/{slug}/responses/" in text and "/api/v1/schema/" in text
    client.logout()
    assert client.get("/api/v1/docs/").status_code == 302
