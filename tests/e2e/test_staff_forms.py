"""Staff forms rendered by django-crispy-forms in a real browser: labels, help and errors wired
to their fields, the error summary, and axe-core (WCAG 2.1 A/AA) at desktop and phone width."""

import pytest
from playwright.sync_api import expect

from .conftest import check_accessibility, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def staff_page(app_url, new_context, staff_user):
    page = new_context().new_page()
    page.goto(f"{app_url}/staff/login/")
    page.get_by_label("Benutzername").fill("staff")
    page.get_by_label("Passwort").fill("Test-Passwort-123")
    page.get_by_role("button", name="Anmelden").click()
    expect(page).not_to_have_url(f"{app_url}/staff/login/")
    return page


def _described_texts(page, selector: str) -> list[str]:
    described = (page.locator(selector).get_attribute("aria-describedby") or "").split()
    return [page.locator(f"#{ident}").inner_text().strip() for ident in described]


def test_field_period_form_with_an_error(app_url, staff_page, survey):
    page = staff_page
    page.goto(f"{app_url}/staff/befragungen/{survey.slug}/feldphase/")
    assert page.get_by_label("Ende der Feldphase").count() == 1  # every field has its label
    check_accessibility(page, "field period form")
    page.locator("#id_opens_on").fill("2026-06-30")
    page.locator("#id_closes_on").fill("2026-06-01")
    page.get_by_role("button", name="Speichern").click()
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("Das Ende der Feldphase darf nicht vor ihrem Beginn liegen.")
    field = page.locator("#id_closes_on")
    assert field.get_attribute("aria-invalid") == "true"
    texts = _described_texts(page, "#id_closes_on")
    assert any("als Frist genannt" in t for t in texts), texts  # the help text
    assert any("nicht vor ihrem Beginn" in t for t in texts), texts  # the error
    summary.locator('a[href="#id_closes_on"]').click()
    check_accessibility(page, "field period form with an error")
    screenshot(page, "staff-feldphase-fehler")
    page.set_viewport_size({"width": 320, "height": 800})
    check_accessibility(page, "field period form with an error, 320 px")
    screenshot(page, "staff-feldphase-fehler-320")


def test_register_upload_without_a_file(app_url, staff_page):
    page = staff_page
    page.goto(f"{app_url}/staff/register/")
    page.get_by_role("button", name="Datei prüfen").click()
    expect(page.locator("#error-summary")).to_be_visible()
    assert page.locator("input[type=file]").get_attribute("aria-invalid") == "true"
    check_accessibility(page, "register upload with an error")
    screenshot(page, "staff-register-fehler")


@pytest.mark.parametrize("width", [1280, 320])
def test_member_filter_and_export_forms(app_url, staff_page, survey, width):
    page = staff_page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{app_url}/staff/befragungen/{survey.slug}/mitglieder/?q=Muster")
    assert "Name, AGS" in " ".join(_described_texts(page, "#id_q"))
    check_accessibility(page, f"member filter, {width} px")
    screenshot(page, f"staff-mitglieder-{width}")
    page.goto(f"{app_url}/staff/befragungen/{survey.slug}/exporte/")
    expect(page.get_by_role("group", name="Format")).to_be_visible()
    check_accessibility(page, f"export form, {width} px")
    screenshot(page, f"staff-exporte-{width}")
