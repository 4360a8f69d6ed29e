"""GET /api/v1/surveys/<slug>/definition/: the same definition as the staff download."""

import pytest
import yaml
from django.urls import reverse

from surveys.definition.export import export_definition

from .conftest import bearer

pytestmark = pytest.mark.django_db


def test_json_and_yaml_equal_the_download(client, kgst_survey, analyst_user, staff_client, make_key, empty_cache):
    key = make_key(analyst_user)
    url = f"/api/v1/surveys/{kgst_survey.slug}/definition/"
    as_json = client.get(url, **bearer(key))
    assert as_json.status_code == 200 and as_json.json() == export_definition(kgst_survey)
    as_yaml = client.get(url + "?as=yaml", **bearer(key))
    assert as_yaml["Content-Type"].startswith("application/yaml")
    download = staff_client.get(reverse("staff:definition_yaml", args=[kgst_survey.slug]))
    assert download.status_code == 200 and as_yaml.content == download.content
    assert yaml.safe_load(as_yaml.content) == export_definition(kgst_survey)
    codes = {q["code"] for page in as_json.json()["pages"] for q in page["questions"]}
    assert "A1_bereich" in codes
