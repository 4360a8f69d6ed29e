"""Walking the KGSt questionnaire in a browser: answers per branch, filling pages, reading the DB."""

from __future__ import annotations

import re
from collections import defaultdict

# The respondent who uses social media internally and externally: every page P1..P8.
USER_PAGES: list[tuple[str, dict]] = [
    ("P1", {"A1_bereich": "6", "A1_bereich_6_text": "Digitalisierung & E-Government", "A2_beschaeftigte": "850"}),
    ("P2", {"B1_nutzung": "1", "B2_zweck": ["1", "2"], "B3_dauer": "3"}),
    ("P3", {"C1_1": "1", "C1_2": "2", "C1_3": "3", "C1_4": "1", "C1_5": "2", "C1_6": "1", "C2_ziele_intern": "3"}),
    ("P4", {"D1_extern": ["1", "3", "7"], "D1_extern_7_text": "Mastodon", "D2_ziele_extern": "2",
            "D3_reaktionszeit_festgelegt": "1", "D4_reaktionszeit": "1"}),
    ("P5", {"E1_strategie": "1", "E2_richtlinie": "2", "E3_monitoring": "3"}),
    ("P6", {"F1_hemmnisse": ["2", "3", "7"], "F1_hemmnisse_7_text": "Fehlende Schulungen <b>fett</b>"}),
    ("P7", {"G1_ausbau": ["1", "2"]}),
    ("P8", {"H1_anmerkungen": "Danke für die Befragung.\nZweite Zeile mit Ümläuten.", "H2_ergebnisse": "1",
            "H3_email": "digital@musterhausen.example"}),
]

# The non-user: P3–P5 are skipped, G2 instead of G1 on P7, no e-mail on P8.
NON_USER_PAGES: list[tuple[str, dict]] = [
    ("P1", {"A1_bereich": "2", "A2_beschaeftigte": "120"}),
    ("P2", {"B1_nutzung": "2"}),
    ("P6", {"F1_hemmnisse": ["8"]}),
    ("P7", {"G2_einfuehrung": "1"}),
    ("P8", {"H2_ergebnisse": "2"}),
]


def expected_rows(pages: list[tuple[str, dict]]) -> set[tuple[str, str]]:
    """The (variable, value) rows the long answer table must hold after submission."""
    rows = set()
    for _code, answers in pages:
        for variable, value in answers.items():
            for item in value if isinstance(value, list) else [value]:
                rows.add((variable, item))
    return rows


def stored_rows(invitation) -> set[tuple[str, str]]:
    from responses.models import Answer

    return set(Answer.objects.filter(response__invitation=invitation).values_list("variable", "value"))


def stored_answers(invitation) -> dict[str, list[str]]:
    result: dict[str, list[str]] = defaultdict(list)
    for variable, value in sorted(stored_rows(invitation)):
        result[variable].append(value)
    return dict(result)


def page_url(base: str, token: str, code: str) -> str:
    return f"{base}/s/{token}/seite/{code}/"


def url_re(token: str, tail: str) -> re.Pattern:
    return re.compile(re.escape(f"/s/{token}/") + tail + "$")


def fill(page, answers: dict) -> None:
    """Set every answer through the form controls named by variable code (in dict order)."""
    for name, value in answers.items():
        if isinstance(value, list):
            for code in value:
                page.locator(f'input[name="{name}"][value="{code}"]').check()
            continue
        control = page.locator(f'[name="{name}"]')
        kind = control.first.get_attribute("type")
        if kind in ("radio", "checkbox"):
            page.locator(f'input[name="{name}"][value="{value}"]').check()
        else:
            control.fill(value)


def click_button(page, label: str) -> None:
    """Click a submit button and wait for the page it leads to."""
    with page.expect_navigation():
        page.get_by_role("button", name=label, exact=True).click()


def weiter(page) -> None:
    click_button(page, "Weiter")


def zurueck(page) -> None:
    click_button(page, "Zurück")


def speichern(page) -> None:
    click_button(page, "Speichern und später fortsetzen")


def read_form(page, names) -> dict:
    """Current state of the controls for the given variable codes (as the walker would set them)."""
    state: dict = {}
    for name in names:
        control = page.locator(f'[name="{name}"]')
        if control.count() == 0:
            continue
        kind = control.first.get_attribute("type")
        if kind == "checkbox":
            state[name] = [c.get_attribute("value") for c in control.all() if c.is_checked()]
        elif kind == "radio":
            checked = [c.get_attribute("value") for c in control.all() if c.is_checked()]
            state[name] = checked[0] if checked else None
        else:
            state[name] = control.input_value()
    return state


def begin(page) -> None:
    """The personal link of a new respondent opens the welcome page: click "Befragung beginnen"."""
    with page.expect_navigation():
        page.get_by_role("link", name="Befragung beginnen", exact=True).click()
