"""With JavaScript, the editor's code and condition fields say at once whether what is typed is valid.

A duplicate question code, a bad option code, a duplicate row code and a condition with a syntax error each
get their message next to the field (in a live region the field names with aria-describedby) before anything
is submitted; nothing is stored. axe-core runs on the question form with the messages shown.
"""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from surveys.models import Question, SurveyChange

from .conftest import check_accessibility, screenshot

pytestmark = pytest.mark.browser

PASSWORD = "Test-Passwort-123"


def _login(page, app_url: str, next_url: str) -> None:
    page.goto(f"{app_url}/staff/login/?next={next_url}")
    page.fill("#id_username", "staff")
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()


def test_codes_and_conditions_are_checked_while_typed(app_url, page, staff_user, kgst_survey):
    c1 = Question.objects.get(code="C1")
    changes = SurveyChange.objects.count()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.method))
    _login(page, app_url, f"/staff/befragungen/{kgst_survey.slug}/fragebogen/fragen/{c1.pk}/")
    expect(page.locator("main h2")).to_contain_text("C1")
    requests.clear()

    code = page.locator("#id_code")
    code.fill("B1_nutzung")
    message = page.locator("#id_code_live")
    expect(message).to_contain_text("Der Code „B1_nutzung“ ist in dieser Befragung schon vergeben (Frage B1_nutzung)")
    expect(message).to_have_attribute("aria-live", "polite")
    assert "id_code_live" in code.get_attribute("aria-describedby").split()
    expect(code).to_have_attribute("aria-invalid", "true")
    code.fill("C1_neu")
    expect(message).to_contain_text("gültig und in dieser Befragung noch frei")
    expect(code).not_to_have_attribute("aria-invalid", "true")

    row = page.locator("#id_zeilen-1-code")
    row.fill(page.locator("#id_zeilen-0-code").input_value())
    expect(page.locator("#id_zeilen-1-code_live")).to_contain_text("kommt in dieser Frage zweimal vor")
    row.fill("B2_zweck")
    expect(page.locator("#id_zeilen-1-code_live")).to_contain_text("schon vergeben (Frage B2_zweck)")
    option = page.locator("#id_optionen-0-code")
    option.fill("1 2")
    expect(page.locator("#id_optionen-0-code_live")).to_contain_text("Ein Optionscode enthält nur")

    condition = page.locator("#id_condition")
    condition.fill("B1_nutzung = = 1")
    expect(page.locator("#id_condition_live")).to_contain_text("an Position 14 nicht lesbar")
    condition.fill("B2_zweck contains 1")
    expect(page.locator("#id_condition_live")).to_contain_text("Die Bedingung ist gültig.")

    check_accessibility(page, "editor: question form with live checks")
    if os.getenv("E2E_SCREENSHOTS"):
        row.fill("B2_zweck")
        expect(page.locator("#id_zeilen-1-code_live")).to_contain_text("schon vergeben")
        screenshot(page, "editor-live-check")
    assert "POST" not in requests  # nothing was submitted: the checks are GET requests
    assert SurveyChange.objects.count() == changes
    assert Question.objects.get(pk=c1.pk).code == "C1"


def test_page_code_checked_while_typed(app_url, page, staff_user, kgst_survey):
    p3 = kgst_survey.pages.get(code="P3")
    _login(page, app_url, f"/staff/befragungen/{kgst_survey.slug}/fragebogen/seiten/{p3.pk}/bearbeiten/")
    page.locator("#id_code").fill("P2")
    expect(page.locator("#id_code_live")).to_contain_text("Eine andere Seite hat bereits den Code „P2“")
    page.locator("#id_condition").fill("C2_ziele_intern = 1")
    expect(page.locator("#id_condition_live")).to_contain_text("nicht auf einer früheren Seite gefragt")
    check_accessibility(page, "editor: page form with live checks")
    screenshot(page, "editor-live-check-page")
