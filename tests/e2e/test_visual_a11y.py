"""Every respondent page type through tests/e2e/a11y.py: contrast, focus, reflow, forced colours,
text spacing, axe; in German with JavaScript and in English without it (together every page
type is seen in both languages and in both JavaScript states without running everything four
times). The English run does the full set on the questionnaire pages (where JavaScript changes
the page) and axe, contrast and reflow on the others. Screenshots of each page type at 1280 and
320 px: test-artifacts/screenshots/ (or $E2E_SCREENSHOTS).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .a11y import audit_page
from .flow import USER_PAGES, click_button, fill, url_re

pytestmark = pytest.mark.browser

VARIANTS = [pytest.param("de", True, id="de-js"), pytest.param("en", False, id="en-nojs")]
BUTTONS = {
    "de": {"next": "Weiter", "save": "Speichern und später fortsetzen", "submit": "Antworten absenden",
           "code": "Zur Befragung"},
    "en": {"next": "Next", "save": "Save and continue later", "submit": "Submit answers", "code": "Go to the survey"},
}


def make_context(new_context, app_url: str, lang: str, js: bool):
    context = new_context(java_script_enabled=js)
    if lang != "de":
        context.add_cookies([{"name": "django_language", "value": lang, "url": app_url}])
    return context


@pytest.mark.parametrize(("lang", "js"), VARIANTS)
def test_respondent_pages(app_url, new_context, invitation, make_invitation, survey, lang, js):
    page = make_context(new_context, app_url, lang, js).new_page()
    buttons = BUTTONS[lang]
    shots = lang == "de"  # one set of screenshots is enough
    controls: set[str] = set()
    token = invitation.token
    tag = f"{lang}-{'js' if js else 'nojs'}"

    page.goto(f"{app_url}/s/")
    audit_page(page, f"respondent access code {tag}", js=js, screenshots=shots, quick=not js, controls=controls)
    page.goto(f"{app_url}/s/")
    page.locator("#id_code").fill("ABC")
    click_button(page, buttons["code"])
    expect(page.locator("#error-summary")).to_be_visible()
    audit_page(page, f"respondent access code error {tag}", js=js, screenshots=shots, quick=not js, controls=controls)

    page.goto(f"{app_url}/s/{token}/")
    expect(page).to_have_url(url_re(token, "willkommen/"))  # a new respondent starts on the welcome page
    audit_page(page, f"respondent welcome {tag}", js=js, screenshots=shots, quick=not js, controls=controls)
    page.goto(f"{app_url}/s/{token}/datenschutz/")
    audit_page(page, f"respondent privacy {tag}", js=js, screenshots=shots, quick=not js, controls=controls)
    page.goto(f"{app_url}/s/{token}/fragebogen/")
    audit_page(page, f"respondent printable questionnaire {tag}", js=js, screenshots=shots, quick=not js,
               controls=controls)
    page.goto(f"{app_url}/s/{token}/seite/P1/")
    expect(page).to_have_url(url_re(token, "seite/P1/"))
    audit_page(page, f"respondent page P1 {tag}", js=js, screenshots=shots, controls=controls)
    page.goto(f"{app_url}/s/{token}/seite/P1/")
    fill(page, {"A1_bereich": "6", "A2_beschaeftigte": "0"})  # "other" without text is fine, 0 is not
    click_button(page, buttons["next"])
    expect(page).to_have_url(url_re(token, "seite/P1/"))
    audit_page(page, f"respondent page with errors {tag}", js=js, screenshots=shots, controls=controls)

    page.goto(f"{app_url}/s/{token}/seite/P1/")
    fill(page, dict(USER_PAGES[0][1]))
    click_button(page, buttons["next"])
    expect(page).to_have_url(url_re(token, "seite/P2/"))
    audit_page(page, f"respondent page P2 follow-up questions {tag}", js=js, screenshots=shots, controls=controls)
    page.goto(f"{app_url}/s/{token}/seite/P2/")
    click_button(page, buttons["next"])  # B1 is required: radios in their error state
    expect(page.locator('input[name="B1_nutzung"][aria-invalid="true"]').first).to_be_attached()
    audit_page(page, f"respondent choice with errors {tag}", js=js, screenshots=shots, controls=controls)
    page.goto(f"{app_url}/s/{token}/seite/P2/")
    fill(page, USER_PAGES[1][1])
    click_button(page, buttons["next"])
    expect(page).to_have_url(url_re(token, "seite/P3/"))
    audit_page(page, f"respondent matrix page P3 {tag}", js=js, screenshots=shots, controls=controls)
    page.goto(f"{app_url}/s/{token}/seite/P3/")
    click_button(page, buttons["save"])
    expect(page).to_have_url(url_re(token, "gespeichert/"))
    audit_page(page, f"respondent saved {tag}", js=js, screenshots=shots, quick=not js, controls=controls)

    for code, answers in USER_PAGES[2:]:
        page.goto(f"{app_url}/s/{token}/seite/{code}/")
        fill(page, answers)
        if code in ("P4", "P8"):  # checkboxes with "other" text; textarea and e-mail
            audit_page(page, f"respondent page {code} {tag}", js=js, screenshots=shots, controls=controls)
            page.goto(f"{app_url}/s/{token}/seite/{code}/")
            fill(page, answers)
        click_button(page, buttons["next"])
    expect(page).to_have_url(url_re(token, "pruefen/"))
    audit_page(page, f"respondent review {tag}", js=js, screenshots=shots, quick=not js, controls=controls)
    page.goto(f"{app_url}/s/{token}/pruefen/")
    click_button(page, buttons["submit"])
    expect(page).to_have_url(url_re(token, "danke/"))
    audit_page(page, f"respondent receipt {tag}", js=js, screenshots=shots, quick=not js, controls=controls)

    other = make_invitation(survey)
    page.goto(f"{app_url}/abmelden/{other.token}/")
    audit_page(page, f"respondent opt-out {tag}", js=js, screenshots=shots, quick=not js, controls=controls)
    response = page.goto(f"{app_url}/s/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/")
    assert response.status == 404
    audit_page(page, f"respondent not found {tag}", js=js, screenshots=shots, quick=not js, controls=controls)
    survey.close()
    page.goto(f"{app_url}/s/{other.token}/")
    audit_page(page, f"respondent survey closed {tag}", js=js, screenshots=shots, quick=not js, controls=controls)

    # Every kind of control of the questionnaire went through the contrast and focus checks.
    kinds = {"input-radio", "input-checkbox", "input-text", "input-email", "textarea", "button", "a"}
    assert kinds <= controls, controls


def test_follow_up_questions_with_javascript(app_url, page, invitation):
    """B2/B3 appear when B1 is "Ja", disappear on "Nein", are announced, and hidden ones send nothing."""
    from .flow import stored_answers

    token = invitation.token
    page.goto(f"{app_url}/s/{token}/seite/P2/")
    b2, b3 = page.locator("#q-B2_zweck"), page.locator("#q-B3_dauer")
    expect(b2).to_be_hidden()
    expect(b3).to_be_hidden()
    status = page.locator("#condition-status")
    assert status.get_attribute("aria-live") == "polite"

    page.locator('input[name="B1_nutzung"][value="1"]').check()
    expect(b2).to_be_visible()
    expect(b3).to_be_visible()
    expect(status).to_contain_text("Weitere Frage eingeblendet")
    expect(page.locator("#cond-B2_zweck")).to_be_hidden()  # the no-JavaScript hint is not needed
    assert "cond-B2_zweck" not in (b2.get_attribute("aria-describedby") or "")
    page.locator('input[name="B1_nutzung"][value="1"]').focus()
    page.keyboard.press("Tab")  # the revealed question comes next in the tab order
    assert page.evaluate("() => document.activeElement.name") == "B2_zweck"

    fill(page, {"B2_zweck": ["1"], "B3_dauer": "2"})
    page.locator('input[name="B1_nutzung"][value="2"]').check()
    expect(b2).to_be_hidden()
    expect(status).to_contain_text("Frage ausgeblendet")
    with page.expect_navigation():
        page.get_by_role("button", name="Speichern und später fortsetzen", exact=True).click()
    assert stored_answers(invitation) == {"B1_nutzung": ["2"]}

    page.goto(f"{app_url}/s/{token}/seite/P2/")
    expect(b2).to_be_hidden()  # evaluated on load from the stored answer
    page.locator('input[name="B1_nutzung"][value="1"]').check()
    fill(page, {"B2_zweck": ["2"], "B3_dauer": "3"})
    with page.expect_navigation():
        page.get_by_role("button", name="Speichern und später fortsetzen", exact=True).click()
    assert stored_answers(invitation) == {"B1_nutzung": ["1"], "B2_zweck": ["2"], "B3_dauer": ["3"]}


def test_follow_up_questions_without_javascript(app_url, new_context, invitation):
    page = new_context(java_script_enabled=False).new_page()
    page.goto(f"{app_url}/s/{invitation.token}/seite/P2/")
    expect(page.locator("#q-B2_zweck")).to_be_visible()
    hint = page.locator("#cond-B2_zweck")
    expect(hint).to_be_visible()
    expect(hint).to_contain_text("wenn Sie bei")
    assert "falls zutreffend" not in page.locator("main").inner_text()


def test_page_script_evaluates_conditions_like_the_server(app_url, page, invitation):
    """static/js/conditions.js against surveys.conditions.evaluate on generated conditions and answers."""
    import json
    import random

    from surveys.conditions import evaluate, parse, to_data

    page.goto(f"{app_url}/s/{invitation.token}/seite/P2/")
    rng = random.Random(13)
    values = ["1", "2", "10", "2.5", "-1", "a", "B", " 3 ", "01", "1.0"]

    def leaf() -> str:
        var = rng.choice(["X", "Y", "Z"])
        kind = rng.randrange(5)
        literal = rng.choice(["1", "2", "10", "2.5", "-1", "'a'", "'1'", "'B'"])
        if kind == 0:
            return f"{var} {rng.choice(['=', '!=', '<', '<=', '>', '>='])} {literal}"
        if kind == 1:
            return f"{var} contains {literal}"
        if kind == 2:
            return f"{var} in [{literal}, {rng.choice(['3', chr(39) + 'b' + chr(39)])}]"
        if kind == 3:
            return f"answered {var}"
        return f"not {var} = {literal}"

    cases = []
    for _ in range(300):
        expr = leaf()
        for _ in range(rng.randrange(3)):
            expr = f"({expr}) {rng.choice(['and', 'or'])} {leaf()}"
        answers = {}
        for var in "XYZ":
            pick = rng.randrange(4)
            if pick == 1:
                answers[var] = rng.choice(values)
            elif pick == 2:
                answers[var] = rng.sample(values, rng.randrange(3))
            elif pick == 3:
                answers[var] = ""
        cases.append((expr, answers))
    script_results = page.evaluate(
        "cases => cases.map(([node, answers]) => window.RuecklaufConditions.evaluate(node, answers))",
        [[to_data(parse(expr)), answers] for expr, answers in cases],
    )
    for (expr, answers), got in zip(cases, script_results, strict=True):
        assert got == evaluate(expr, answers), f"{expr} on {json.dumps(answers)}: script {got}"
