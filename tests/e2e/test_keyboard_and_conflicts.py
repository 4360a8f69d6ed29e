"""Keyboard-only answering, and two colleagues saving the same page at once."""

import pytest
from playwright.sync_api import expect

from .conftest import screenshot
from .flow import begin, fill, read_form, stored_answers, url_re, weiter

pytestmark = pytest.mark.browser


def tab_to(page, selector: str, limit: int = 60) -> None:
    """Press Tab until the element matching selector has the focus."""
    target = page.locator(selector).first
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return
    pytest.fail(f"{selector} never received the focus with Tab")


def test_keyboard_only(app_url, page, invitation):
    token = invitation.token
    page.goto(f"{app_url}/s/{token}/")
    tab_to(page, "a.btn-primary")  # "Befragung beginnen" on the welcome page, by keyboard as well
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(url_re(token, "seite/P1/"))

    tab_to(page, 'input[name="A1_bereich"]')
    page.keyboard.press("Space")
    tab_to(page, 'input[name="A2_beschaeftigte"]')
    page.keyboard.type("250")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # implicit submission must mean "Weiter", not "Zurück"
    expect(page).to_have_url(url_re(token, "seite/P2/"))

    tab_to(page, 'input[name="B1_nutzung"]')
    page.keyboard.press("Space")       # "Ja"
    page.keyboard.press("ArrowDown")   # moves the choice to "Nein"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(url_re(token, "seite/P6/"))
    assert stored_answers(invitation) == {"A1_bereich": ["1"], "A2_beschaeftigte": ["250"], "B1_nutzung": ["2"]}


def test_focus_is_visible_on_controls(app_url, page, invitation):
    page.goto(f"{app_url}/s/{invitation.token}/")
    begin(page)
    tab_to(page, 'input[name="A1_bereich"]')
    outline = page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
        return [s.outlineStyle, s.outlineWidth, s.boxShadow]; }""")
    assert outline[0] != "none" or outline[2] != "none", f"no visible focus indicator: {outline}"


def test_two_colleagues_on_the_same_link(app_url, new_context, invitation):
    """B opened the page before A saved it: B's save is refused with a message, A's answers stay."""
    token = invitation.token
    page_a = new_context().new_page()
    page_b = new_context().new_page()
    page_a.goto(f"{app_url}/s/{token}/seite/P1/")
    page_b.goto(f"{app_url}/s/{token}/seite/P1/")

    fill(page_a, {"A1_bereich": "2", "A2_beschaeftigte": "300"})
    weiter(page_a)
    expect(page_a).to_have_url(url_re(token, "seite/P2/"))

    fill(page_b, {"A1_bereich": "5", "A2_beschaeftigte": "301"})
    weiter(page_b)
    expect(page_b).to_have_url(url_re(token, "seite/P1/"))  # stays, says why
    alert = page_b.get_by_role("alert")
    expect(alert).to_contain_text("geändert")
    assert stored_answers(invitation) == {"A1_bereich": ["2"], "A2_beschaeftigte": ["300"]}, "A's save was overwritten"
    screenshot(page_b, "conflict")

    # B's typing is not silently thrown away: it is still in the form or listed in the message.
    state = read_form(page_b, ["A2_beschaeftigte"])
    assert state["A2_beschaeftigte"] == "301" or "301" in alert.inner_text(), "B's input vanished without a trace"
    fill(page_b, {"A1_bereich": "5", "A2_beschaeftigte": "301"})
    weiter(page_b)
    expect(page_b).to_have_url(url_re(token, "seite/P2/"))
    assert stored_answers(invitation) == {"A1_bereich": ["5"], "A2_beschaeftigte": ["301"]}


def test_racing_saves_lose_nothing_silently(app_url, new_context, invitation):
    """Both colleagues press "Weiter" at the same moment: exactly one save wins, the other is told."""
    token = invitation.token
    numbers = ("11", "22")
    pages = [new_context().new_page() for _ in numbers]
    for page, number in zip(pages, numbers, strict=True):
        page.goto(f"{app_url}/s/{token}/seite/P1/")
        fill(page, {"A1_bereich": "1", "A2_beschaeftigte": number})
    press_weiter = ("() => { const b = [...document.querySelectorAll('button[name=aktion]')]"
                    ".find(b => b.value === 'weiter'); b.form.requestSubmit(b); }")
    with pages[0].expect_navigation(), pages[1].expect_navigation():
        for page in pages:  # both requests are sent before either answer arrives
            page.evaluate(press_weiter)
    won = ["/seite/P2/" in page.url for page in pages]
    assert sum(won) == 1, f"exactly one save wins: {[page.url for page in pages]}"
    assert stored_answers(invitation)["A2_beschaeftigte"] == [numbers[won.index(True)]]
    loser = pages[won.index(False)]
    expect(loser).to_have_url(url_re(token, "seite/P1/"))
    alert = loser.get_by_role("alert")
    expect(alert).to_contain_text("geändert")
    lost = numbers[won.index(False)]
    assert read_form(loser, ["A2_beschaeftigte"])["A2_beschaeftigte"] == lost or lost in alert.inner_text()
