"""The analysts' table pages in a real browser: cross-tabs with a filter chosen without
JavaScript, representativeness, wave comparison; axe-core 0 violations at 1280 and 320 px."""

import copy

import pytest
from playwright.sync_api import expect

from harness.answer_data import insert_plans
from surveys.definition.read import read_definition
from surveys.definition.sync import sync_survey
from surveys.definition.validate import validate_definition
from tests.exports.conftest import make_plans

from .conftest import check_accessibility, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def analyst_page(new_context, app_url, analyst_user, survey):
    from surveys.structure import get_structure

    structure = get_structure(survey)
    insert_plans(survey, structure, make_plans(structure, 4, 30, 0.1))
    data = copy.deepcopy(read_definition("surveys/definitions/kgst-social-media-2013.yaml"))
    data["slug"], data["title"] = "kgst-social-media-2016", "Social Media 2016"
    wave = sync_survey(validate_definition(data)).survey
    insert_plans(wave, get_structure(wave), make_plans(get_structure(wave), 5, 20, 0.0))
    context = new_context(java_script_enabled=False)  # the forms must work without JavaScript
    page = context.new_page()
    page.goto(f"{app_url}/staff/login/")
    page.fill("#id_username", "analyst")
    page.fill("#id_password", "Test-Passwort-123")
    page.locator("main form button[type=submit], main form input[type=submit]").first.click()
    expect(page).not_to_have_url(f"{app_url}/staff/login/")
    # axe-core needs JavaScript: the checks run in a second context with the same session
    page.axe_page = new_context(storage_state=context.storage_state()).new_page()
    return page


def both_widths(page, name):
    """axe-core and screenshots of the page just reached, at 1280 and 320 px (same URL, same session)."""
    checker = page.axe_page
    checker.goto(page.url)
    check_accessibility(checker, name)
    screenshot(checker, f"{name}-1280")
    checker.set_viewport_size({"width": 320, "height": 800})
    check_accessibility(checker, f"{name} at 320 px")
    screenshot(checker, f"{name}-320")


def test_crosstab_with_filter_without_javascript(app_url, analyst_page, survey):
    page = analyst_page
    page.goto(f"{app_url}/staff/befragungen/{survey.slug}/ergebnisse/kreuztabellen/")
    expect(page.locator("#x-B1_nutzung")).to_be_visible()
    page.select_option("#id_by", "B1_nutzung")
    page.select_option("#id_filter", "groessenklasse")
    page.get_by_role("button", name="Tabellen anzeigen").click()
    expect(page.locator("#values-hint")).to_be_visible()
    both_widths(page, "crosstab-choose-values")
    for code in ("1", "2", "3"):
        page.locator(f'input[name="values"][value="{code}"]').check()
    page.get_by_role("button", name="Tabellen anzeigen").click()
    expect(page.locator("main")).to_contain_text("nur groessenklasse = 1: unter 10.000")
    header = page.locator("#x-B2_zweck ~ div table thead th")
    expect(header).to_have_text(["Antwort", "Ja", "Nein", "Gesamt"])
    both_widths(page, "crosstab-filtered")


def test_representativeness_page(app_url, analyst_page, survey):
    page = analyst_page
    page.goto(f"{app_url}/staff/befragungen/{survey.slug}/ergebnisse/repraesentativitaet/")
    expect(page.locator("main")).to_contain_text("Chi-Quadrat")
    both_widths(page, "representativeness")


def test_wave_page(app_url, analyst_page, survey):
    page = analyst_page
    page.goto(f"{app_url}/staff/befragungen/{survey.slug}/ergebnisse/wellen/")
    page.select_option("#id_vergleich", "kgst-social-media-2016")
    page.get_by_role("button", name="Vergleichen").click()
    expect(page.locator("#w-B1_nutzung")).to_be_visible()
    both_widths(page, "waves")
