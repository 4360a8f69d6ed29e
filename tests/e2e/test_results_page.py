"""The results page in a real browser: sections by questionnaire page, a chart beside every table
(an image with a name for screen readers; its numbers in the table), the data-as-of stamp,
weighted tables; axe-core 0 violations in German and English at 1280 and 320 px, the other checks
of tests/e2e/a11y.py, and no script (the page works without JavaScript)."""

import pytest
from playwright.sync_api import expect

from harness.answer_data import insert_plans
from tests.exports.conftest import make_plans

from .a11y import audit_page
from .conftest import check_accessibility, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def results_world(survey, analyst_user):
    from exports.jobs.results import compute_results
    from exports.models import ResultSet
    from surveys.structure import get_structure

    structure = get_structure(survey)
    insert_plans(survey, structure, make_plans(structure, 4, 40, 0.1))
    result_set = ResultSet.objects.create(survey=survey)
    compute_results(result_set.pk)
    return survey


def _log_in(new_context, app_url, lang):
    context = new_context()
    if lang != "de":
        context.add_cookies([{"name": "django_language", "value": lang, "url": app_url}])
    page = context.new_page()
    page.goto(f"{app_url}/staff/login/")
    page.fill("#id_username", "analyst")
    page.fill("#id_password", "Test-Passwort-123")
    page.locator("main form button[type=submit]").click()
    expect(page).not_to_have_url(f"{app_url}/staff/login/")
    return page


@pytest.mark.parametrize("lang", ["de", "en"])
def test_results_page(app_url, new_context, results_world, lang):
    page = _log_in(new_context, app_url, lang)
    url = f"{app_url}/staff/befragungen/{results_world.slug}/ergebnisse/"
    page.goto(url)
    assert page.locator("script").count() == 0
    toc = page.locator("nav.page-toc")
    expect(toc.locator("ol > li")).to_have_count(results_world.pages.count() + 1)  # every page, the cross-tabs
    first_page = results_world.pages.order_by("position").first()
    heading = page.locator(f"#s-{first_page.code}")
    expect(heading).to_have_text(first_page.title)  # the questionnaire's words, as in the tables
    if lang != "de":
        expect(heading).to_have_attribute("lang", "de")
    chart = page.locator("#q-B1_nutzung ~ .result-pair svg[role=img]")
    expect(chart).to_have_count(1)
    name = chart.get_attribute("aria-labelledby")
    expect(page.locator(f"[id='{name}']")).to_contain_text("B1_nutzung")
    expect(page.locator("#q-B1_nutzung ~ .result-pair caption")).to_contain_text("n = ")
    expect(page.locator("#stand")).to_be_visible()
    label = f"results {lang}"
    audit_page(page, label, screenshots=lang == "de", quick=lang != "de")
    screenshot(page, f"results-{lang}-1280")
    page.set_viewport_size({"width": 320, "height": 800})
    check_accessibility(page, f"{label} at 320 px")
    screenshot(page, f"results-{lang}-320")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(url + "?gewichtet=1")
    expect(page.locator("h2").filter(has_text="gewichtet" if lang == "de" else "weighted")).to_have_count(1)
    expect(page.locator("#q-B1_nutzung ~ .result-pair caption").first).to_contain_text(
        "ungewichtete Basis" if lang == "de" else "unweighted base")
    check_accessibility(page, f"{label} weighted")
    page.set_viewport_size({"width": 320, "height": 800})
    check_accessibility(page, f"{label} weighted at 320 px")
    screenshot(page, f"results-weighted-{lang}-320")


def test_results_page_publication_view(app_url, new_context, results_world):
    """`?veroeffentlichung=1`: the tables as they may be published — counts below the minimum base and
    the secondaries are dashes with a footnote, in the tables and the charts; axe 0 at 1280 and 320 px."""
    results_world.min_base = 8
    results_world.save(update_fields=["min_base"])
    page = _log_in(new_context, app_url, "de")
    page.goto(f"{app_url}/staff/befragungen/{results_world.slug}/ergebnisse/?veroeffentlichung=1")
    expect(page.locator(".results-options")).to_contain_text("Veröffentlichungsfassung:")
    dashes = page.locator("table.freq-table td", has_text="–†")
    assert dashes.count() >= 2  # never exactly one, by construction
    expect(page.locator(".protected-note").filter(has_text="Mindestbasis von 8").first).to_be_visible()
    check_accessibility(page, "results publication view")
    screenshot(page, "publish-results-1280")
    page.set_viewport_size({"width": 320, "height": 800})
    check_accessibility(page, "results publication view at 320 px")
    screenshot(page, "publish-results-320")
