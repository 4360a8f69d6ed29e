"""Resuming after the browser was closed, saving for later, and entering the access code on /s/."""

import pytest
from playwright.sync_api import expect

from .conftest import check_accessibility
from .flow import begin, fill, read_form, speichern, stored_answers, url_re, weiter

pytestmark = pytest.mark.browser


def test_resume_in_a_new_browser_lands_on_the_page_left(app_url, new_context, invitation):
    token = invitation.token
    first = new_context().new_page()
    first.goto(f"{app_url}/s/{token}/")
    begin(first)
    fill(first, {"A1_bereich": "3", "A2_beschaeftigte": "4711"})
    weiter(first)
    fill(first, {"B1_nutzung": "1", "B2_zweck": ["2"], "B3_dauer": "2"})
    weiter(first)
    expect(first).to_have_url(url_re(token, "seite/P4/"))  # P3 (internal) skipped
    first.context.close()

    second = new_context().new_page()  # no cookies, no session: only the link
    second.goto(f"{app_url}/s/{token}/")
    expect(second).to_have_url(url_re(token, "seite/P4/"))
    second.goto(f"{app_url}/s/{token}/seite/P2/")
    assert read_form(second, ["B1_nutzung", "B2_zweck", "B3_dauer"]) == {
        "B1_nutzung": "1", "B2_zweck": ["2"], "B3_dauer": "2"}
    second.goto(f"{app_url}/s/{token}/seite/P1/")
    assert read_form(second, ["A1_bereich", "A2_beschaeftigte"]) == {"A1_bereich": "3", "A2_beschaeftigte": "4711"}


def test_save_and_continue_later_keeps_a_half_filled_page(app_url, new_context, invitation):
    token = invitation.token
    first = new_context().new_page()
    first.goto(f"{app_url}/s/{token}/")
    begin(first)
    fill(first, {"A1_bereich": "1"})
    weiter(first)
    fill(first, {"B1_nutzung": "1", "B2_zweck": ["1", "2"]})
    weiter(first)
    expect(first).to_have_url(url_re(token, "seite/P3/"))
    fill(first, {"C1_1": "2", "C1_4": "3"})  # the rest of the matrix left open
    speichern(first)
    first.context.close()
    assert stored_answers(invitation)["C1_1"] == ["2"]

    second = new_context().new_page()
    second.goto(f"{app_url}/s/{token}/")
    expect(second).to_have_url(url_re(token, "seite/P3/"))
    state = read_form(second, ["C1_1", "C1_2", "C1_4"])
    assert state == {"C1_1": "2", "C1_2": None, "C1_4": "3"}


def test_access_code_entry(app_url, page, invitation):
    page.goto(f"{app_url}/s/")
    check_accessibility(page, "start page /s/")
    # As typed from a letter: lower case, with the dashes of the printed form.
    page.locator('input[name="code"]').fill(invitation.access_code_display.lower())
    page.locator('input[name="code"]').press("Enter")
    expect(page).to_have_url(url_re(invitation.token, "willkommen/"))  # a new respondent: the welcome page


def test_wrong_access_code_is_refused_accessibly(app_url, page, invitation):
    page.goto(f"{app_url}/s/")
    page.locator('input[name="code"]').fill("ABCDE-FGHJK-MNPQR-STVWX-YZ012-3")
    with page.expect_navigation():
        page.locator('input[name="code"]').press("Enter")
    assert f"/s/{invitation.token}/" not in page.url
    expect(page.locator('input[name="code"]')).to_be_visible()
    check_accessibility(page, "start page with a wrong code")
