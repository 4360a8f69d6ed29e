"""Whole walks through the KGSt questionnaire in chromium, checked against what PostgreSQL stored."""

import pytest
from playwright.sync_api import expect

from .conftest import check_accessibility, screenshot
from .flow import (
    NON_USER_PAGES,
    USER_PAGES,
    begin,
    click_button,
    expected_rows,
    fill,
    read_form,
    stored_rows,
    url_re,
    weiter,
    zurueck,
)

pytestmark = pytest.mark.browser


def walk(page, token: str, pages, accessibility: bool = False, progress: dict | None = None) -> None:
    """From the current page, answer every page in order, checking each lands where expected.

    progress: page code → the "Seite x von y" text that page must show.
    """
    for code, answers in pages:
        expect(page).to_have_url(url_re(token, f"seite/{code}/"))
        if progress and code in progress:
            expect(page.locator("main")).to_contain_text(progress[code])
        if accessibility:
            check_accessibility(page, f"page {code}")
        fill(page, answers)
        screenshot(page, f"page-{code}")
        weiter(page)
    expect(page).to_have_url(url_re(token, "pruefen/"))


def submit(page, token: str) -> None:
    click_button(page, "Antworten absenden")
    expect(page).to_have_url(url_re(token, "danke/"))


def test_user_branch_internal_and_external(app_url, page, invitation):
    """Every page P1..P8: matrix, multi with 'other' text, e-mail; review lists it all; receipt."""
    from responses.models import Response

    token = invitation.token
    page.goto(f"{app_url}/s/{token}/")
    begin(page)
    # Once P2 says "internal and external", all eight pages count.
    progress = {code: f"Seite {n} von 8" for n, (code, _a) in enumerate(USER_PAGES, start=1) if n > 2}
    walk(page, token, USER_PAGES, accessibility=True, progress=progress)

    review = page.locator("main")
    expect(review).to_contain_text("Mastodon")
    expect(review).to_contain_text("digital@musterhausen.example")
    expect(review).to_contain_text("Fehlende Schulungen <b>fett</b>")  # shown as text, not markup
    for code, _answers in USER_PAGES:
        assert page.locator(f'a[href$="/seite/{code}/"]').count() >= 1, f"review has no link back to {code}"
    check_accessibility(page, "review page")
    screenshot(page, "review")

    # A colleague still has P1 open in another tab while the response is submitted.
    stale = page.context.new_page()
    stale.goto(f"{app_url}/s/{token}/seite/P1/")

    submit(page, token)
    receipt = page.locator("main")
    expect(receipt).to_contain_text("Digitalisierung & E-Government")
    expect(receipt).to_contain_text("Mastodon")
    check_accessibility(page, "receipt page")
    screenshot(page, "receipt")

    response = Response.objects.get(invitation=invitation)
    assert response.is_submitted and response.submitted_at is not None
    assert stored_rows(invitation) == expected_rows(USER_PAGES)

    # Submitted responses are read-only: the stale tab's save changes nothing and lands on the receipt.
    fill(stale, {"A2_beschaeftigte": "999"})
    weiter(stale)
    expect(stale).to_have_url(url_re(token, "danke/"))
    assert stored_rows(invitation) == expected_rows(USER_PAGES)
    # Submitting twice is harmless; the link now leads to the receipt.
    page.goto(f"{app_url}/s/{token}/pruefen/")
    expect(page).to_have_url(url_re(token, "danke/"))
    page.goto(f"{app_url}/s/{token}/")
    expect(page).to_have_url(url_re(token, "danke/"))


def test_non_user_branch_skips_p3_to_p5_and_drops_hidden_answers(app_url, page, invitation):
    """Answer as a user first, go back and switch to 'Nein': P3–P5 skipped, G2 shown, leftovers dropped."""
    token = invitation.token
    page.goto(f"{app_url}/s/{token}/")
    begin(page)
    # P1, P2 as a user, P3 answered, then back to P2.
    expect(page).to_have_url(url_re(token, "seite/P1/"))
    fill(page, {"A1_bereich": "2", "A2_beschaeftigte": "120"})
    weiter(page)
    fill(page, {"B1_nutzung": "1", "B2_zweck": ["1"], "B3_dauer": "1"})
    weiter(page)
    expect(page).to_have_url(url_re(token, "seite/P3/"))
    fill(page, {"C1_1": "1", "C2_ziele_intern": "4"})
    zurueck(page)
    expect(page).to_have_url(url_re(token, "seite/P2/"))
    assert read_form(page, ["B1_nutzung", "B2_zweck"]) == {"B1_nutzung": "1", "B2_zweck": ["1"]}

    fill(page, {"B1_nutzung": "2"})
    weiter(page)
    expect(page).to_have_url(url_re(token, "seite/P6/"))  # P3, P4, P5 skipped
    walk(page, token, NON_USER_PAGES[2:], accessibility=True)
    expect(page.locator("main")).not_to_contain_text("Interne Nutzung")
    submit(page, token)

    assert stored_rows(invitation) == expected_rows(NON_USER_PAGES)


def test_p7_shows_g2_not_g1_for_non_users(app_url, page, invitation):
    token = invitation.token
    page.goto(f"{app_url}/s/{token}/")
    begin(page)
    for code, answers in NON_USER_PAGES[:3]:
        expect(page).to_have_url(url_re(token, f"seite/{code}/"))
        fill(page, answers)
        weiter(page)
    expect(page).to_have_url(url_re(token, "seite/P7/"))
    assert page.locator('[name="G2_einfuehrung"]').count() == 4
    assert page.locator('[name="G1_ausbau"]').count() == 0
    expect(page.locator("main")).to_contain_text("Seite 4 von 5")


def test_whole_walk_without_javascript(app_url, new_context, invitation):
    """JavaScript disabled: the non-user branch end to end, with a server-side validation round trip."""
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    token = invitation.token
    page.goto(f"{app_url}/s/{token}/")
    begin(page)
    expect(page).to_have_url(url_re(token, "seite/P1/"))
    fill(page, NON_USER_PAGES[0][1])
    weiter(page)

    # Required B1_nutzung left empty: error summary and field error, nothing skipped.
    expect(page).to_have_url(url_re(token, "seite/P2/"))
    weiter(page)
    expect(page).to_have_url(url_re(token, "seite/P2/"))
    assert page.locator('main a[href^="#"][href*="B1_nutzung"]').count() >= 1, "error summary links to the field"

    fill(page, NON_USER_PAGES[1][1])
    weiter(page)
    expect(page).to_have_url(url_re(token, "seite/P6/"))

    # Exclusive option combined with another one: a field error, nothing stored for F1.
    fill(page, {"F1_hemmnisse": ["1", "8"]})
    weiter(page)
    expect(page).to_have_url(url_re(token, "seite/P6/"))
    page.locator('input[name="F1_hemmnisse"][value="1"]').uncheck()
    weiter(page)

    for code, answers in NON_USER_PAGES[3:]:
        expect(page).to_have_url(url_re(token, f"seite/{code}/"))
        fill(page, answers)
        weiter(page)
    expect(page).to_have_url(url_re(token, "pruefen/"))
    submit(page, token)
    assert stored_rows(invitation) == expected_rows(NON_USER_PAGES)
