"""Browser: survey texts form, e-mail texts with preview, staff preview walk, welcome/privacy/printable pages.

Every page is checked with axe-core (WCAG 2.1 AA) in German and, for the respondent's pages, in
English; screenshots at 1280 and 320 px go to $E2E_SCREENSHOTS when it is set.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import check_accessibility, screenshot
from .flow import begin, click_button, fill, url_re, weiter

pytestmark = pytest.mark.browser


def both_widths(page, name: str) -> None:
    screenshot(page, f"{name}-1280")
    page.set_viewport_size({"width": 320, "height": 800})
    screenshot(page, f"{name}-320")
    check_accessibility(page, f"{name} at 320 px")
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.fixture
def staff_page(new_context, app_url, staff_user):
    page = new_context().new_page()
    page.goto(f"{app_url}/staff/login/")
    page.locator("#id_username").fill("staff")
    page.locator("#id_password").fill("Test-Passwort-123")
    click_button(page, "Anmelden")
    return page


def switch_to_english(page) -> None:
    page.locator("#language-select").select_option("en")
    with page.expect_navigation():
        page.locator(".lang-switch button[type=submit]").click()
    assert page.locator("html").get_attribute("lang") == "en"


def test_survey_texts_form(app_url, staff_page, survey):
    page = staff_page
    page.goto(f"{app_url}/staff/befragungen/{survey.slug}/")
    with page.expect_navigation():
        page.get_by_role("link", name="Texte der Befragung bearbeiten", exact=False).click()
    check_accessibility(page, "survey texts form")
    both_widths(page, "texts-form")
    page.get_by_label("Begrüßungstext", exact=True).fill("Schön, dass Sie mitmachen.")
    page.get_by_label("Geschätzte Dauer in Minuten").fill("15")
    page.locator("#id_title").fill("")
    click_button(page, "Speichern")
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("Bitte geben Sie einen Titel an.")
    assert page.locator("#id_title").get_attribute("aria-invalid") == "true"
    check_accessibility(page, "survey texts form with an error")
    both_widths(page, "texts-form-error")
    page.locator("#id_title").fill("Wie nutzen Kommunen Social Media? (2026)")
    click_button(page, "Speichern")
    expect(page.locator("main")).to_contain_text("Die Texte der Befragung wurden gespeichert.")
    survey.refresh_from_db()
    assert (survey.title, survey.intro, survey.estimated_minutes) == (
        "Wie nutzen Kommunen Social Media? (2026)", "Schön, dass Sie mitmachen.", 15)
    assert survey.changes.count() == 1


def test_mail_texts_with_preview(app_url, staff_page, survey, invitation):
    page = staff_page
    page.goto(f"{app_url}/staff/befragungen/{survey.slug}/email-texte/")
    expect(page.locator("main")).to_contain_text("Stadt Musterhausen")  # the built-in text for the first member
    check_accessibility(page, "e-mail texts with the built-in preview")
    page.get_by_label("Text der Einladung").fill("Liebe Kolleginnen und Kollegen in {stadt},\n\nhier entlang: {link}")
    click_button(page, "Prüfen und Vorschau zeigen")
    expect(page.locator("#error-summary")).to_contain_text("Unbekannter Platzhalter: {stadt}")
    check_accessibility(page, "e-mail texts with an unknown placeholder")
    both_widths(page, "mail-texts-error")
    page.get_by_label("Text der Einladung").fill("Liebe Kolleginnen und Kollegen in {kommune},\n\nhier entlang: {link}")
    page.get_by_label("Betreff der Einladung").fill("Bitte mitmachen, {kommune}")
    click_button(page, "Prüfen und Vorschau zeigen")
    preview = page.locator(".mail-preview").first
    expect(preview).to_contain_text("Bitte mitmachen, Stadt Musterhausen")
    expect(preview).to_contain_text("Liebe Kolleginnen und Kollegen in Stadt Musterhausen,")
    check_accessibility(page, "e-mail texts preview")
    both_widths(page, "mail-texts-preview")
    survey.refresh_from_db()
    assert survey.invitation_body == ""  # previewing stores nothing
    click_button(page, "Speichern")
    expect(page.locator("main")).to_contain_text("Die E-Mail-Texte wurden gespeichert.")
    survey.refresh_from_db()
    assert survey.invitation_subject == "Bitte mitmachen, {kommune}"


def test_staff_preview_walk_stores_nothing(app_url, staff_page, survey, invitation):
    from responses.models import Answer, Response

    survey.status = "draft"
    survey.save()
    page = staff_page
    page.goto(f"{app_url}/staff/befragungen/{survey.slug}/")
    with page.expect_navigation():
        page.get_by_role("link", name="Vorschau: den Fragebogen so durchgehen, wie ihn die Befragten sehen").click()
    expect(page.locator(".preview-banner")).to_contain_text("Vorschau")
    check_accessibility(page, "preview start page")
    both_widths(page, "preview-start")
    begin(page)
    expect(page).to_have_url(f"{app_url}/staff/befragungen/{survey.slug}/vorschau/seite/P1/")
    expect(page.locator("main")).to_contain_text("Seite 1 von 8")
    fill(page, {"A1_bereich": "2", "A2_beschaeftigte": "120"})
    weiter(page)
    weiter(page)  # B1_nutzung is required: the respondent's message
    expect(page.locator("#error-summary")).to_be_visible()
    check_accessibility(page, "preview page with an error")
    fill(page, {"B1_nutzung": "1", "B2_zweck": ["2"], "B3_dauer": "1"})
    weiter(page)  # external use only: P4 (external) next, P3 (internal) skipped
    expect(page).to_have_url(f"{app_url}/staff/befragungen/{survey.slug}/vorschau/seite/P4/")
    expect(page.locator("main")).to_contain_text("Seite 3 von 7")
    check_accessibility(page, "preview page P4")
    both_widths(page, "preview-P4")
    page.goto(f"{app_url}/staff/befragungen/{survey.slug}/vorschau/pruefen/")
    check_accessibility(page, "preview review")
    click_button(page, "Antworten absenden")
    expect(page.locator("main")).to_contain_text("Ende der Vorschau")
    check_accessibility(page, "end of the preview")
    assert not Response.objects.exists() and not Answer.objects.exists()
    # a member's link of the draft leads staff into the same preview, never into the member's response
    page.goto(f"{app_url}/s/{invitation.token}/")
    expect(page).to_have_url(f"{app_url}/staff/befragungen/{survey.slug}/vorschau/seite/P1/")
    assert not Response.objects.exists()


def test_welcome_privacy_and_printable_pages(app_url, page, survey, invitation):
    from responses.models import Response

    survey.estimated_minutes = 10
    survey.title_en = "How do municipalities use social media?"
    survey.save()
    token = invitation.token
    page.goto(f"{app_url}/s/{token}/")
    expect(page).to_have_url(url_re(token, "willkommen/"))
    main = page.locator("main")
    expect(main).to_contain_text("etwa 10 Minuten")
    expect(main).to_contain_text("Verantwortlich für die Verarbeitung")
    check_accessibility(page, "welcome page")
    both_widths(page, "welcome")
    with page.expect_navigation():
        page.get_by_role("link", name="Vollständiger Datenschutzhinweis (Zweck, Speicherdauer, Ihre Rechte)").click()
    expect(page.get_by_role("heading", name="Ihre Rechte")).to_be_visible()
    check_accessibility(page, "privacy page")
    both_widths(page, "privacy")
    with page.expect_navigation():
        page.get_by_role("link", name="Zurück zur Befragung").click()
    with page.expect_navigation():
        page.get_by_role("link", name="Fragebogen zum Ausdrucken").click()
    expect(main).to_contain_text("Diese Seite: nur wenn B1_nutzung = „Ja“")
    check_accessibility(page, "printable questionnaire")
    both_widths(page, "printable")
    pdf = page.request.get(f"{app_url}/s/{token}/fragebogen.pdf")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")
    # opening the link made the (empty) Response, as before; the start pages wrote nothing to it
    assert list(Response.objects.values_list("current_page", "status")) == [("", "started")]

    switch_to_english(page)
    expect(main).to_contain_text("only if B1_nutzung")
    check_accessibility(page, "printable questionnaire in English")
    page.goto(f"{app_url}/s/{token}/willkommen/")
    expect(page.get_by_role("heading", level=1)).to_have_text("How do municipalities use social media?")
    check_accessibility(page, "welcome page in English")
    both_widths(page, "welcome-en")
    page.goto(f"{app_url}/s/{token}/datenschutz/")
    expect(page.get_by_role("heading", name="Your rights")).to_be_visible()
    check_accessibility(page, "privacy page in English")
    with page.expect_navigation():
        page.get_by_role("link", name="Back to the survey").click()
    with page.expect_navigation():
        page.get_by_role("link", name="Start the survey").click()
    expect(page).to_have_url(url_re(token, "seite/P1/"))
