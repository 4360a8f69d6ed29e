"""axe-core (WCAG 2.1 A/AA) on the page types the walks do not cover: errors, closed survey, 404.

The questionnaire pages, review and receipt are checked inside the walks (test_walk.py),
the start page in test_resume_and_entry.py.
"""

import pytest
from playwright.sync_api import expect

from .conftest import check_accessibility, screenshot
from .flow import begin, fill, url_re, weiter

pytestmark = pytest.mark.browser


def test_page_with_errors(app_url, page, invitation):
    token = invitation.token
    page.goto(f"{app_url}/s/{token}/seite/P1/")
    fill(page, {"A2_beschaeftigte": "0"})  # below the minimum of 1
    weiter(page)
    expect(page).to_have_url(url_re(token, "seite/P1/"))
    summary_link = page.locator('main a[href^="#"][href*="A2_beschaeftigte"]')
    expect(summary_link.first).to_be_visible()
    field = page.locator('[name="A2_beschaeftigte"]')
    assert field.get_attribute("aria-invalid") == "true"
    described = (field.get_attribute("aria-describedby") or "").split()
    assert any(page.locator(f"#{ident}").inner_text().strip() for ident in described), \
        "the field error is announced with the field"
    check_accessibility(page, "page with a number error")
    screenshot(page, "error-P1")

    summary_link.first.click()
    assert page.evaluate("() => location.hash").endswith("A2_beschaeftigte") or \
        field.evaluate("el => el === document.activeElement")


def test_page_with_required_and_email_errors(app_url, page, invitation):
    token = invitation.token
    page.goto(f"{app_url}/s/{token}/")
    begin(page)
    fill(page, {"A1_bereich": "1"})
    weiter(page)
    weiter(page)  # B1_nutzung is required
    expect(page).to_have_url(url_re(token, "seite/P2/"))
    check_accessibility(page, "page with a required-answer error")

    fill(page, {"B1_nutzung": "2"})
    weiter(page)
    for _ in range(2):  # P6, P7 left open
        weiter(page)
    expect(page).to_have_url(url_re(token, "seite/P8/"))
    fill(page, {"H2_ergebnisse": "1", "H3_email": "keine-adresse"})
    weiter(page)
    expect(page).to_have_url(url_re(token, "seite/P8/"))
    expect(page.locator('main a[href^="#"][href*="H3_email"]').first).to_be_visible()
    check_accessibility(page, "page with an e-mail error")


def test_closed_survey_page(app_url, page, invitation, survey):
    survey.close()
    page.goto(f"{app_url}/s/{invitation.token}/")
    text = page.locator("main").inner_text()
    assert "beendet" in text or "geschlossen" in text, text[:500]
    assert page.locator('input[name="aktion"], button[name="aktion"]').count() == 0
    check_accessibility(page, "closed survey page")
    screenshot(page, "closed")


def test_not_found_page(app_url, page):
    response = page.goto(f"{app_url}/s/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/")
    assert response.status == 404
    check_accessibility(page, "404 page")


def test_english_interface_is_accessible(app_url, page, invitation):
    """Switch the language with the header form (German browser): the page comes back in English."""
    page.goto(f"{app_url}/s/{invitation.token}/")
    begin(page)
    assert page.locator("html").get_attribute("lang") == "de"
    page.locator("#language-select").select_option("en")
    with page.expect_navigation():
        page.locator(".lang-switch button[type=submit]").click()
    expect(page).to_have_url(url_re(invitation.token, "seite/P1/"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("button", name="Weiter", exact=True).count() == 0, "buttons still German"
    check_accessibility(page, "questionnaire page in English")
