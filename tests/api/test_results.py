"""GET …/results/ and …/crosstabs/: the tables of the results page, small cells protected."""

import pytest

from exports.analysis import aggregation, protection

from .conftest import bearer

pytestmark = pytest.mark.django_db


def test_results_equal_the_protected_tables(client, answered, analyst_user, make_key, empty_cache):
    body = client.get(f"/api/v1/surveys/{answered.slug}/results/", **bearer(make_key(analyst_user))).json()
    expected = protection.protect_tables(aggregation.compute_tables(answered), answered.min_base)
    assert body["respondents"] == expected["respondents"] and body["min_base"] == answered.min_base
    assert [q["code"] for q in body["questions"]] == [q["code"] for q in expected["questions"]]
    for got, want in zip(body["questions"], expected["questions"], strict=True):
        assert got.get("base") == want.get("base") and got.get("options") == want.get("options")


def test_small_cells_have_no_percentages(client, answered, analyst_user, make_key, empty_cache):
    answered.min_base = 1000
    answered.save(update_fields=["min_base"])
    body = client.get(f"/api/v1/surveys/{answered.slug}/results/", **bearer(make_key(analyst_user))).json()
    options = [o for q in body["questions"] for o in q.get("options", []) if q.get("base")]
    assert options and all(o["percent"] is None and o["protected"] for o in options)


def test_crosstabs_by_dimension(client, answered, analyst_user, make_key, empty_cache):
    key = make_key(analyst_user)
    url = f"/api/v1/surveys/{answered.slug}/crosstabs/"
    body = client.get(url + "?by=land", **bearer(key)).json()
    assert body["crosstabs"] and {x["by"] for x in body["crosstabs"]} == {"land"}
    table = body["crosstabs"][0]
    assert len(table["bases"]) == len(table["columns"]) and "protected" in table
    assert client.get(url + "?by=farbe", **bearer(key)).status_code == 400
