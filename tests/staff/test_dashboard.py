"""Dashboard figures against the hand-made dataset (see conftest.py), and their cost in queries."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from responses.dashboard import figures as dash

pytestmark = pytest.mark.django_db


def _as_tuple(counts):
    return (counts.register, counts.invited, counts.opened, counts.started, counts.submitted)


def test_totals(dataset):
    totals = dash.totals(dataset.survey)
    assert _as_tuple(totals) == (9, 7, 4, 3, 2)
    assert totals.rate == pytest.approx(100 * 2 / 7)


def test_by_land_counts_full_register(dataset):
    rows = {row.label: _as_tuple(row) for row in dash.by_land(dataset.survey)}
    assert rows == {
        "Bayern": (3, 2, 1, 1, 1),
        "Hessen": (1, 0, 0, 0, 0),  # not invited here; its response to another survey does not count
        "Nordrhein-Westfalen": (5, 5, 3, 2, 1),
    }
    # Länder in the codebook's order
    assert [row.label for row in dash.by_land(dataset.survey)] == ["Bayern", "Hessen", "Nordrhein-Westfalen"]


def test_by_size_class(dataset):
    rows = {row.label.split(" ")[0]: _as_tuple(row) for row in dash.by_size(dataset.survey)}
    assert rows == {
        "1": (3, 3, 1, 1, 1),
        "2": (2, 1, 1, 0, 0),
        "3": (1, 1, 1, 1, 0),
        "4": (1, 0, 0, 0, 0),
        "5": (1, 1, 1, 1, 1),
        "7": (1, 1, 0, 0, 0),
    }


def test_per_day_in_local_time_with_running_total(dataset):
    days = dash.per_day(dataset.survey, invited=7)
    assert [(d.day, d.submitted, d.cumulative) for d in days] == [
        (date(2024, 5, 2), 1, 1),
        (date(2024, 5, 3), 1, 2),  # 00:30 Berlin is still 2 May in UTC
    ]
    assert days[-1].rate == pytest.approx(100 * 2 / 7)


def test_empty_survey_has_no_rate(survey):
    data = dash.build(survey)
    assert data.totals.invited == 0 and data.totals.rate is None
    assert data.per_day == []


def test_status_counts(dataset):
    assert dash.status_counts(dataset.survey) == {
        "nicht_eingeladen": 2, "eingeladen": 1, "geoeffnet": 1, "begonnen": 1,
        "abgeschickt": 2, "abgemeldet": 1, "unzustellbar": 1,
    }


def test_member_status_per_member(dataset):
    statuses = dict(dash.members_with_status(dataset.survey).values_list("ags", "status"))
    m = dataset.members
    assert statuses == {
        m.m1.ags: "eingeladen", m.m2.ags: "geoeffnet", m.m3.ags: "begonnen", m.m4.ags: "abgeschickt",
        m.m5.ags: "unzustellbar", m.b1.ags: "abgeschickt", m.b2.ags: "nicht_eingeladen", m.b3.ags: "abgemeldet",
        m.h1.ags: "nicht_eingeladen",
    }
    # in the other survey only h1 is invited (and submitted)
    other = dict(dash.members_with_status(dataset.other).values_list("ags", "status"))
    assert other[m.h1.ags] == "abgeschickt" and other[m.m4.ags] == "nicht_eingeladen"


def test_bounced_address_without_fallback_is_undeliverable(dataset):
    m1 = dataset.members.m1
    m1.email_bounced = True
    m1.save()
    assert dash.members_with_status(dataset.survey).get(pk=m1.pk).status == "unzustellbar"
    m1.fallback_email = "ersatz@example.org"
    m1.save()
    assert dash.members_with_status(dataset.survey).get(pk=m1.pk).status == "eingeladen"


def test_dashboard_page_for_analyst(analyst_client, dataset):
    response = analyst_client.get(reverse("staff:dashboard", args=[dataset.survey.slug]))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<dd class="fs-3 mb-0" id="kpi-rate">28,6 %</dd>' in html
    assert "Nordrhein-Westfalen" in html and "Hessen" in html
    assert "02.05.2024" in html and "03.05.2024" in html
    assert "<script" not in html
    # staff-only links are not offered to analysts
    assert reverse("staff:members", args=[dataset.survey.slug]) not in html


def test_dashboard_query_count_is_bounded(staff_client, dataset, make_invitation):
    url = reverse("staff:dashboard", args=[dataset.survey.slug])
    staff_client.get(url)  # warm up session/permission caches
    with CaptureQueriesContext(connection) as small:
        assert staff_client.get(url).status_code == 200
    for i in range(40):
        invitation = make_invitation(dataset.survey, land="Sachsen" if i % 2 else "Bayern", einwohner=1000 * i + 1)
        if i % 3 == 0:
            from responses.models import Response

            Response.objects.create(survey=dataset.survey, invitation=invitation)
    with CaptureQueriesContext(connection) as large:
        assert staff_client.get(url).status_code == 200
    assert len(large) == len(small)
    assert len(large) <= 12, [q["sql"] for q in large.captured_queries]
