"""GET /api/v1/surveys/<slug>/responses/: codes as the exports write them, cursor paging, ?since, ?status."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from exports.analysis import datarows
from harness.answer_data import generate
from responses.models import Response
from surveys.structure import get_structure

pytestmark = pytest.mark.django_db


def _all_pages(client, url: str, headers: dict) -> tuple[list[dict], int]:
    items, pages = [], 0
    while url:
        response = client.get(url, **headers)
        assert response.status_code == 200, response.content
        body = response.json()
        items += body["results"]
        url = body["next"]
        pages += 1
    return items, pages


def test_pages_hold_every_submitted_response_once_as_the_export_does(client, answered, analyst_user, make_key,
                                                                     empty_cache):
    from .conftest import bearer

    headers = bearer(make_key(analyst_user))
    items, pages = _all_pages(client, f"/api/v1/surveys/{answered.slug}/responses/?page_size=7", headers)
    submitted = list(Response.objects.filter(survey=answered, status="submitted").order_by("id")
                     .values_list("id", flat=True))
    assert [i["id"] for i in items] == submitted and pages == -(-len(submitted) // 7)
    cols = datarows.columns(answered)
    expected = list(datarows.iter_rows(answered, cols))
    for item, row in zip(items, expected, strict=True):
        values = item["values"]
        assert list(values) == [c.code for c in cols]
        for col, value in zip(cols, row, strict=True):
            assert values[col.code] == (value.isoformat() if hasattr(value, "isoformat") else value), col.code
        assert "labels" not in item


def test_labels_on_request(client, answered, analyst_user, make_key, empty_cache):
    from .conftest import bearer

    body = client.get(f"/api/v1/surveys/{answered.slug}/responses/?labels=1&page_size=3",
                      **bearer(make_key(analyst_user))).json()
    item = body["results"][0]
    cols = {c.code: c for c in datarows.columns(answered)}
    labelled = [code for code in item["labels"] if cols[code].value_labels]
    assert labelled
    for code in labelled:
        value = item["values"][code]
        assert item["labels"][code] == (cols[code].value_labels.get(value) or {-1: "nicht gezeigt (Filter)",
                                                                              -9: "keine Angabe"}.get(value))


def test_status_partial_and_all(client, answered, analyst_user, make_key, empty_cache):
    from .conftest import bearer

    headers = bearer(make_key(analyst_user))
    base = f"/api/v1/surveys/{answered.slug}/responses/?page_size=1000"
    partial = client.get(base + "&status=partial", **headers).json()["results"]
    every = client.get(base + "&status=all", **headers).json()["results"]
    assert {i["values"]["status"] for i in partial} == {"started"}
    assert len(partial) == Response.objects.filter(survey=answered, status="started").count() > 0
    assert len(every) == Response.objects.filter(survey=answered).count()
    bad = client.get(base + "&status=neu", **headers)
    assert bad.status_code == 400 and bad["Content-Type"].startswith("application/problem+json")
    assert "status" in bad.json()["errors"]


def test_since_returns_only_what_changed(client, answered, analyst_user, make_key, empty_cache):
    from .conftest import bearer

    headers = bearer(make_key(analyst_user))
    changed = Response.objects.filter(survey=answered, status="submitted").order_by("id")[:2]
    later = timezone.now() + timedelta(hours=1)
    Response.objects.filter(pk__in=[r.pk for r in changed]).update(updated_at=later + timedelta(minutes=1))
    url = f"/api/v1/surveys/{answered.slug}/responses/"
    items = client.get(url, {"since": later.isoformat()}, **headers).json()["results"]
    assert [i["id"] for i in items] == [r.pk for r in changed]
    for wrong in ("gestern", "2027-02-30T00:00:00Z", "0001-01-01T00:00:00+05:00"):
        bad = client.get(url, {"since": wrong}, **headers)
        assert bad.status_code == 400 and "since" in bad.json()["errors"], wrong
    # an offset PostgreSQL would refuse (found by schemathesis) is converted first
    far = client.get(url, {"since": "0459-05-02T16:34:52.419+22:39"}, **headers)
    assert far.status_code == 200 and len(far.json()["results"]) > 2


def test_cursor_is_stable_when_responses_arrive(client, answered, analyst_user, make_key, empty_cache):
    from .conftest import bearer

    headers = bearer(make_key(analyst_user))
    first = client.get(f"/api/v1/surveys/{answered.slug}/responses/?page_size=5", **headers).json()
    generate(answered, get_structure(answered), 5, seed=99, partial_share=0)  # new responses while a client pages
    seen = [i["id"] for i in first["results"]]
    items, _pages = _all_pages(client, first["next"], headers)
    seen += [i["id"] for i in items]
    assert seen == sorted(set(seen))
    assert len(seen) == Response.objects.filter(survey=answered, status="submitted").count()


def test_bad_cursor_is_a_problem(client, answered, analyst_user, make_key, empty_cache):
    from .conftest import bearer

    response = client.get(f"/api/v1/surveys/{answered.slug}/responses/?cursor=kaputt", **bearer(make_key(analyst_user)))
    assert response.status_code == 404 and response["Content-Type"].startswith("application/problem+json")
