"""The results page (eager Celery): sections by questionnaire page in order, a chart beside every
choice table, base and missing with every table, the data-as-of stamp, the stale and planned states,
small-cell protection in the charts."""

import re

import pytest
from django.core.cache import cache
from django.utils import timezone

from exports.analysis import aggregation
from exports.jobs import refresh
from exports.models import ResultSet
from responses.models import Response
from surveys.structure import get_structure

pytestmark = pytest.mark.django_db


@pytest.fixture
def computed(kgst_survey, generated):
    generated(40, seed=51, partial_share=0.0)
    cache.delete(f"results-refresh:{kgst_survey.pk}")
    return ResultSet.objects.create(survey=kgst_survey, status=ResultSet.Status.DONE, computed_at=timezone.now(),
                                    tables=aggregation.compute_tables(kgst_survey))


def _page(client, survey, **params):
    return client.get(f"/staff/befragungen/{survey.slug}/ergebnisse/", params).content.decode()


def test_sections_follow_the_questionnaire(analyst_client, kgst_survey, computed):
    html = _page(analyst_client, kgst_survey)
    structure = get_structure(kgst_survey)
    section_ids = re.findall(r'<h3 class="h4 results-page-title" id="s-([^"]+)"', html)
    assert section_ids == [p.code for p in structure.pages]
    question_ids = re.findall(r'<h4 class="h6" id="q-([^"]+)"', html)
    assert question_ids == [q.code for q in structure.questions]
    for page in structure.pages:  # every question under its own page's heading
        start = html.index(f'id="s-{page.code}"')
        following = [html.index(f'id="s-{p.code}"') for p in structure.pages if p.position > page.position]
        end = min(following, default=len(html))
        assert all(start < html.index(f'id="q-{q.code}"') < end for q in page.questions)
        assert f'href="#s-{page.code}"' in html  # in the table of contents
    choice_tables = sum(len(q.rows) if q.type == "matrix" else 1 for q in structure.questions
                        if q.type in ("single", "multi", "matrix"))
    assert html.count('role="img"') == choice_tables
    assert html.count('class="caption-top result-base"') >= choice_tables
    b1 = next(t for t in computed.tables["questions"] if t["code"] == "B1_nutzung")
    assert f"Basis n = {b1['base']}, fehlend {b1['missing']}" in html
    assert "<script" not in html


def test_stamp_stale_and_planned(analyst_client, kgst_survey, computed):
    html = _page(analyst_client, kgst_survey)
    last = timezone.localtime(Response.objects.filter(status="submitted").latest("updated_at").updated_at)
    assert "Stand:" in html and f"Letzte einbezogene Antwort vom {last:%d.%m.%Y %H:%M}." in html
    assert "nicht mehr aktuell" not in html and "wird aktualisiert" not in html
    Response.objects.filter(pk=Response.objects.filter(status="submitted").first().pk).update(updated_at=timezone.now())
    assert "diese Tabellen sind nicht mehr aktuell" in _page(analyst_client, kgst_survey)
    cache.set(f"results-refresh:{kgst_survey.pk}", timezone.now().timestamp() + 42, 60)
    assert refresh.planned_at(kgst_survey.pk) is not None
    html = _page(analyst_client, kgst_survey)
    assert "wird aktualisiert, spätestens um" in html and 'http-equiv="refresh"' not in html
    cache.delete(f"results-refresh:{kgst_survey.pk}")


def test_refresh_button_keeps_the_view(analyst_client, kgst_survey, computed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = analyst_client.post(f"/staff/befragungen/{kgst_survey.slug}/ergebnisse/aktualisieren/",
                                       {"include_partial": "1", "gewichtet": "1"})
    assert response["Location"].endswith("/ergebnisse/?teilantworten=1&gewichtet=1")
    assert ResultSet.objects.filter(include_partial=True, status="done").count() == 1


def test_charts_keep_small_cell_protection(analyst_client, kgst_survey, computed):
    kgst_survey.min_base = 1000
    kgst_survey.save(update_fields=["min_base"])
    html = _page(analyst_client, kgst_survey)
    assert 'class="chart-bar"' not in html and "–*" in html and " %</tspan>" not in html
    kgst_survey.min_base = 1
    kgst_survey.save(update_fields=["min_base"])
    assert 'class="chart-bar"' in _page(analyst_client, kgst_survey)


def test_viewer_sees_no_minimum_or_maximum_of_few_answers(analyst_client, kgst_survey, computed):
    """A viewer (accounts/roles.py: aggregated results only) gets no single value through min/max."""
    from django.contrib.auth.models import User
    from django.test import Client

    from accounts import roles

    viewer = User.objects.create_user("vera", "v@example.org", "x")
    roles.grant(viewer, roles.VIEWER, kgst_survey)
    client = Client()
    client.force_login(viewer)
    kgst_survey.min_base = 1000
    kgst_survey.save(update_fields=["min_base"])
    html = _page(client, kgst_survey)
    # Viewers always get the publication view: no minimum or maximum row, a note says why.
    assert '<th scope="row">Maximum</th>' not in html and "werden nicht ausgewiesen" in html
    assert '<th scope="row">Maximum</th>' in _page(analyst_client, kgst_survey)  # analysts see single responses
    kgst_survey.min_base = 1
    kgst_survey.save(update_fields=["min_base"])
    assert "Maximum" in _page(client, kgst_survey)
