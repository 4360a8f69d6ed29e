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


def test_crosstabs_as_the_staff_page_computes_them(client, answered, analyst_user, make_key, empty_cache):
    from exports.analysis import crosstab

    key = make_key(analyst_user)
    url = f"/api/v1/surveys/{answered.slug}/crosstabs/"
    body = client.get(url, {"by": "groessenklasse", "filter": "land", "values": "Bayern,Hessen"}, **bearer(key)).json()
    spec = crosstab.Spec(by="groessenklasse", filter=crosstab.Filter("land", ("Bayern", "Hessen")))
    expected = crosstab.compute(answered, spec)
    assert body["spec"] == spec.as_dict() and body["respondents"] == expected["respondents"]
    firsts = [x["rows"][0]["counts"] for x in expected["crosstabs"]]
    assert [x["rows"][0]["counts"] for x in body["crosstabs"]] == firsts
    table = body["crosstabs"][0]
    assert len(table["bases"]) == len(table["columns"]) and "protected" in table
    by_answer = client.get(url, {"by": "A1_bereich", "weighted": "1"}, **bearer(key))
    assert by_answer.status_code == 200 and by_answer.json()["spec"]["weighted"] is True
    for wrong in ({"by": "farbe"}, {"filter": "farbe", "values": "1"}, {"filter": "land"}):
        bad = client.get(url, wrong, **bearer(key))
        assert bad.status_code == 400 and bad["Content-Type"] == "application/problem+json", wrong


def test_a_viewer_key_gets_the_tables_as_they_may_be_published(client, answered, analyst_user, make_key,
                                                                 empty_cache):
    """Issue M: every count below the minimum base suppressed for viewers (not only its percentage),
    the same rules as the publication variant; analysts keep the counts."""
    from django.contrib.auth.models import User

    from accounts import roles

    viewer = User.objects.create_user("vera", "v@example.org", "x")
    roles.grant(viewer, roles.VIEWER, answered)
    answered.min_base = 8
    answered.save(update_fields=["min_base"])
    url = f"/api/v1/surveys/{answered.slug}/results/"
    published = client.get(url, **bearer(make_key(viewer))).json()
    expected = protection.publishable_tables(aggregation.compute_tables(answered), answered.min_base)
    assert [q.get("options") for q in published["questions"]] == [q.get("options") for q in expected["questions"]]
    small = [o for q in published["questions"] for o in q.get("options", []) if o.get("suppressed")]
    assert small and all(o["count"] is None for o in small)
    counted = client.get(url, **bearer(make_key(analyst_user))).json()
    assert all(o["count"] is not None for q in counted["questions"] for o in q.get("options", []))
    crosstabs = client.get(f"/api/v1/surveys/{answered.slug}/crosstabs/", {"by": "land"},
                           **bearer(make_key(viewer))).json()["crosstabs"]
    counts = [c for x in crosstabs for row in x["rows"] for c in row["counts"]]
    assert None in counts and all(c is None or c == 0 or c >= answered.min_base for c in counts)
