"""The OData feed with Django's test client: documents, query options, paging, errors, viewers."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pytest

from accounts.models import AuditEvent
from exports.analysis import datarows
from exports.odata import feed
from responses.models import Response

from .conftest import basic

pytestmark = pytest.mark.django_db
EDM = "{http://docs.oasis-open.org/odata/ns/edm}"


@pytest.fixture
def odata(client, answered, analyst_user, make_key, empty_cache):
    key = make_key(analyst_user)

    def get(path: str, **params):
        return client.get(f"/odata/{answered.slug}/{path}", params, **basic(key))

    return get


def _all(odata, path: str, **params) -> tuple[list[dict], int]:
    first = odata(path, **params)
    assert first.status_code == 200, first.content
    body = first.json()
    items, pages = body["value"], 1
    while "@odata.nextLink" in body:
        body = _follow(odata, urlsplit(body["@odata.nextLink"]))
        items += body["value"]
        pages += 1
    return items, pages


def _follow(odata, parts) -> dict:
    from urllib.parse import parse_qsl

    name = parts.path.rsplit("/", 1)[-1]
    response = odata(name, **dict(parse_qsl(parts.query)))
    assert response.status_code == 200, response.content
    return response.json()


def test_service_document_and_metadata(odata, answered):
    service = odata("")
    assert service.status_code == 200 and service["OData-Version"] == "4.0"
    assert "odata.metadata=minimal" in service["Content-Type"]
    assert [s["name"] for s in service.json()["value"]] == ["Responses", "ValueLabels", "Results"]
    meta = odata("$metadata")
    assert meta["Content-Type"].startswith("application/xml")
    root = ET.fromstring(meta.content)
    response_type = next(t for t in root.iter(f"{EDM}EntityType") if t.get("Name") == "Response")
    props = {p.get("Name"): p for p in response_type.iter(f"{EDM}Property")}
    cols = datarows.columns(answered)
    assert list(props) == ["id"] + [c.code for c in cols]
    first_choice = next(c for c in cols if c.kind == "single" and c.numeric)
    assert props[first_choice.code].get("Type") == "Edm.Int32"
    notes = {a.get("Term"): a.get("String") for a in props[first_choice.code].iter(f"{EDM}Annotation")}
    assert notes["Core.Description"] == first_choice.label and "-9 = keine Angabe" in notes["Core.LongDescription"]
    assert props["submitted_at"].get("Type") == "Edm.DateTimeOffset"


def test_pages_hold_every_submitted_response(odata, answered, settings):
    settings.ODATA_PAGE_SIZE = 7
    items, pages = _all(odata, "Responses", **{"$count": "true"})
    submitted = Response.objects.filter(survey=answered, status="submitted").count()
    assert len(items) == submitted and pages == -(-submitted // 7)
    assert [i["id"] for i in items] == sorted(i["id"] for i in items)
    first = odata("Responses", **{"$count": "true"}).json()
    assert first["@odata.count"] == submitted
    assert odata("Responses/$count").content.decode() == str(submitted)


def test_filter_equals_python_over_the_export_rows(odata, answered):
    cols = datarows.columns(answered)
    rows = [dict(zip([c.code for c in cols], r, strict=True)) for r in datarows.iter_rows(answered, cols)]
    choice = next(c for c in cols if c.kind == "single" and c.numeric and c.condition)
    cases = {
        f"{choice.code} eq -1": lambda r: r[choice.code] == -1,
        f"{choice.code} ne -9 and groessenklasse ge 3": lambda r: r[choice.code] != -9 and r["groessenklasse"] >= 3,
        f"{choice.code} gt 1 or land eq 'Bayern'": lambda r: r[choice.code] > 1 or r["land"] == "Bayern",
        f"{choice.code} le 2 and {choice.code} lt 9 and not (typ eq 'Stadt')":
            lambda r: r[choice.code] <= 2 and r[choice.code] < 9 and r["typ"] != "Stadt",
        f"{choice.code} in (1, 2)": lambda r: r[choice.code] in (1, 2),
    }
    for text, expected in cases.items():
        want = sum(1 for r in rows if expected(r))
        body = odata("Responses", **{"$filter": text, "$count": "true", "$select": "id"}).json()
        assert body["@odata.count"] == want, text
        assert odata("Responses/$count", **{"$filter": text}).content.decode() == str(want)


def test_select_top_skip_orderby(odata, answered):
    ids = list(Response.objects.filter(survey=answered, status="submitted").order_by("id").values_list("id", flat=True))
    body = odata("Responses", **{"$select": "id,land", "$top": "5", "$skip": "2"}).json()
    assert [e["id"] for e in body["value"]] == ids[2:7] and set(body["value"][0]) == {"id", "land"}
    assert "@odata.nextLink" not in body and body["@odata.context"].endswith("$metadata#Responses(id,land)")
    ordered = odata("Responses", **{"$orderby": "einwohner desc", "$select": "id,einwohner"}).json()["value"]
    assert [e["einwohner"] for e in ordered] == sorted((e["einwohner"] for e in ordered), reverse=True)
    by_answer = odata("Responses", **{"$orderby": "A1_bereich asc,id desc", "$select": "id,A1_bereich"}).json()
    values = [e["A1_bereich"] for e in by_answer["value"]]
    assert values == sorted(values) and len(values) == len(ids)


def test_orderby_pages_continue_where_they_stopped(odata, settings):
    settings.ODATA_PAGE_SIZE = 4
    items, _pages = _all(odata, "Responses", **{"$orderby": "groessenklasse desc", "$select": "id,groessenklasse"})
    assert len({i["id"] for i in items}) == len(items)
    assert [i["groessenklasse"] for i in items] == sorted((i["groessenklasse"] for i in items), reverse=True)


@pytest.mark.parametrize("params", [
    {"$filter": "gibtsnicht eq 1"}, {"$filter": "land eq 1"}, {"$filter": "A1_bereich eq 'x'"},
    {"$filter": "contains(name, 'a')"}, {"$filter": "A1_bereich eq"}, {"$top": "-1"}, {"$select": "gibtsnicht"},
    {"$orderby": "land sideways"}, {"$skiptoken": "zzz"}, {"$expand": "x"}, {"$format": "atom"},
    {"$filter": "submitted_at gt 2027-01-01"},
])
def test_bad_options_are_odata_errors(odata, params):
    response = odata("Responses", **params)
    assert response.status_code == 400, (params, response.content)
    assert set(response.json()["error"]) == {"code", "message"}


def test_datetime_filter(odata, answered):
    body = odata("Responses", **{"$filter": "submitted_at gt 2000-01-01T00:00:00Z", "$count": "true"}).json()
    assert body["@odata.count"] == Response.objects.filter(survey=answered, status="submitted").count()


def test_refusals_are_odata_errors_and_audited(client, answered, analyst_user, make_key, empty_cache):
    assert client.get(f"/odata/{answered.slug}/Responses").status_code == 401
    response = client.get(f"/odata/{answered.slug}/Responses", **basic("rl_aaaaaaaa_falsch"))
    assert response.status_code == 401 and "Basic" in response["WWW-Authenticate"]
    assert response.json()["error"]["code"] == "Unauthorized"
    key = make_key(analyst_user)
    assert client.get("/odata/gibt-es-nicht/", **basic(key)).status_code == 404
    assert client.get(f"/odata/{answered.slug}/Gibtsnicht", **basic(key)).status_code == 404
    assert AuditEvent.objects.filter(action="api.request", outcome="refused").count() == 2


def test_viewer_sees_only_aggregates(client, answered, make_key, empty_cache):
    """A viewer's key (aggregated results only, accounts/roles.py) gets no Responses set at all."""
    from django.contrib.auth.models import User

    from accounts import roles

    viewer = User.objects.create_user("viewer", "v@example.org", "x")
    roles.grant(viewer, roles.VIEWER, answered)
    key = make_key(viewer)
    service = client.get(f"/odata/{answered.slug}/", **basic(key)).json()
    names = [s["name"] for s in service["value"]]
    assert "Responses" not in names and "Results" in names
    assert b'EntitySet Name="Responses"' not in client.get(f"/odata/{answered.slug}/$metadata", **basic(key)).content
    assert client.get(f"/odata/{answered.slug}/Responses", **basic(key)).status_code == 404
    results = client.get(f"/odata/{answered.slug}/Results", {"$filter": "protected eq false"}, **basic(key)).json()
    assert results["value"] and all(r["percent"] is not None or r["base"] == 0 for r in results["value"])
    assert len(feed.results(answered)) >= len(results["value"])
    # Counts below the minimum base are suppressed for a viewer, as in the publication variant.
    answered.min_base = 8
    answered.save(update_fields=["min_base"])
    hidden = client.get(f"/odata/{answered.slug}/Results", {"$filter": "protected eq true"}, **basic(key)).json()
    assert any(r["count"] is None for r in hidden["value"])
    assert all(r["count"] is None or r["count"] == 0 or r["count"] >= 8
               for r in client.get(f"/odata/{answered.slug}/Results", **basic(key)).json()["value"])
