"""Staff pages for creating surveys in a real browser: new survey, new wave, upload with report, download.

Every page is checked with axe-core (WCAG 2.1 A/AA) with and without errors, at 1280 px and at 320 px.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from surveys.definition.write import canonical_yaml_of_file
from surveys.models import Survey
from tests.conftest import KGST_DEFINITION
from tests.surveys import kgst_xlsform

from .conftest import check_accessibility, screenshot

pytestmark = pytest.mark.browser


def _login(page, app_url: str, user) -> None:
    page.goto(f"{app_url}/staff/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "Test-Passwort-123")
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", name="Befragungen", level=1)).to_be_visible()


@pytest.fixture(params=[1280, 320], ids=["wide", "narrow"])
def staff_page(request, new_context, app_url, staff_user):
    width = request.param
    page = new_context(viewport={"width": width, "height": 900}).new_page()
    _login(page, app_url, staff_user)
    page.width = width
    return page


def test_create_an_empty_survey(app_url, staff_page, survey):
    page, width = staff_page, staff_page.width
    page.get_by_role("link", name="Neue Befragung anlegen").click()
    expect(page.get_by_role("heading", name="Neue Befragung anlegen")).to_be_visible()
    check_accessibility(page, "new survey form")
    screenshot(page, f"survey-create-{width}")
    page.fill("#id_title", "Digitalisierung 2026")
    page.fill("#id_slug", "Digitalisierung 2026")
    page.get_by_role("button", name="Befragung anlegen").click()
    expect(page.locator("#error-summary")).to_contain_text("Bitte nur Kleinbuchstaben")
    assert page.locator("#id_slug").get_attribute("aria-invalid") == "true"
    check_accessibility(page, "new survey form with an error")
    screenshot(page, f"survey-create-error-{width}")
    page.fill("#id_slug", f"digitalisierung-{width}")
    page.get_by_role("button", name="Befragung anlegen").click()
    expect(page.get_by_role("heading", name="Digitalisierung 2026")).to_be_visible()
    assert Survey.objects.get(slug=f"digitalisierung-{width}").status == "draft"


def test_copy_as_a_new_wave(app_url, staff_page, survey):
    page, width = staff_page, staff_page.width
    page.goto(f"{app_url}/staff/befragungen/{survey.slug}/")
    check_accessibility(page, "survey page with the definition links")
    screenshot(page, f"survey-detail-{width}")
    page.get_by_role("link", name="Als neue Welle kopieren …").click()
    expect(page.locator("#id_slug")).to_have_value("kgst-social-media-2014")
    check_accessibility(page, "new wave form")
    screenshot(page, f"survey-copy-{width}")
    page.fill("#id_slug", f"kgst-welle-{width}")
    page.fill("#id_opens_on", "2025-06-02")
    page.fill("#id_closes_on", "2025-06-01")
    page.get_by_role("button", name="Neue Welle anlegen").click()
    expect(page.locator("#error-summary")).to_contain_text("nicht vor ihrem Beginn")
    check_accessibility(page, "new wave form with an error")
    page.fill("#id_closes_on", "2025-08-29")
    page.get_by_role("button", name="Neue Welle anlegen").click()
    expect(page.get_by_role("status")).to_contain_text("8 Seiten, 20 Fragen")
    expect(page.get_by_text("Neue Welle von")).to_be_visible()
    wave = Survey.objects.get(slug=f"kgst-welle-{width}")
    assert wave.copied_from_id == survey.pk and wave.questions.count() == 20


def test_upload_report_then_confirm_and_download(app_url, staff_page, tmp_path):
    page, width = staff_page, staff_page.width
    page.get_by_role("link", name="Fragebogen-Datei hochladen").click()
    check_accessibility(page, "definition upload form")
    screenshot(page, f"definition-upload-{width}")

    bad = tmp_path / "fehler.xlsx"
    bad.write_bytes(kgst_xlsform.workbook_bytes(survey=[
        ["begin_group", "P1", "Seite"], ["geopoint", "ort", "Wo?"], ["end_group"]], choices=[]))
    page.set_input_files("#id_file", str(bad))
    page.get_by_role("button", name="Datei prüfen").click()
    expect(page.locator("#error-summary")).to_contain_text(
        "Zeile 3, Spalte type (A): Typ „geopoint“: Ortsangaben werden nicht unterstützt.")
    check_accessibility(page, "upload report with errors")
    screenshot(page, f"definition-report-errors-{width}")

    page.get_by_role("link", name="Korrigierte Datei hochladen").click()
    good = tmp_path / "kgst.xlsx"
    good.write_bytes(kgst_xlsform.workbook_bytes())
    page.set_input_files("#id_file", str(good))
    page.get_by_role("button", name="Datei prüfen").click()
    expect(page.locator("#count-questions")).to_have_text("20")
    check_accessibility(page, "upload report of a valid file")
    screenshot(page, f"definition-report-{width}")
    assert not Survey.objects.exists()
    page.get_by_role("button", name="Befragung anlegen").click()
    expect(page.get_by_role("status")).to_contain_text("Fragebogen übernommen: 8 Seiten, 20 Fragen.")

    with page.expect_download() as download:
        page.get_by_role("link", name="Fragebogen herunterladen (YAML)").click()
    path = download.value.path()
    assert download.value.suggested_filename == "kgst-social-media-2013.yaml"
    # the workbook's conditions spell '1' as 1, like the shipped YAML: the download is its canonical form
    assert open(path, encoding="utf-8").read() == canonical_yaml_of_file(KGST_DEFINITION)
    with page.expect_download() as download:
        page.get_by_role("link", name="Fragebogen herunterladen (XLSForm für Excel)").click()
    assert download.value.suggested_filename == "kgst-social-media-2013.xlsx"
