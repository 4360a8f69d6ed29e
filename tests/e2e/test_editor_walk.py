"""A staff user builds the whole KGSt questionnaire in the browser, from an empty survey, through the editor.

Driven by surveys/definitions/kgst-social-media-2013.yaml: every page, question, option, row and
condition is typed into the editor's forms; the result must equal the survey `load_survey` makes of
that file (pages, questions, options, rows and conditions, compared over the tables). Once with
JavaScript and once without (the editor works with plain form posts either way). axe-core runs on
every kind of editor page on the way: overview, page form, page, question form (with and without
errors), delete confirmation and change history.
"""

from __future__ import annotations

import os
import re

import pytest
import yaml
from playwright.sync_api import expect

from harness.editor import structure_of
from surveys.definition.read import read_definition
from surveys.definition.validate import validate_definition
from surveys.definition.write import canonical_yaml_of_file
from surveys.models import Survey, SurveyChange
from tests.conftest import KGST_DEFINITION

from .conftest import check_accessibility, screenshot

pytestmark = pytest.mark.browser

PASSWORD = "Test-Passwort-123"


def narrow_screenshot(page, name: str) -> None:
    """With $E2E_SCREENSHOTS set: the page at 1280 px and at 320 px."""
    if not os.getenv("E2E_SCREENSHOTS"):
        return
    screenshot(page, f"{name}-1280")
    page.set_viewport_size({"width": 320, "height": 800})
    screenshot(page, f"{name}-320")
    page.set_viewport_size({"width": 1280, "height": 900})


class Checked:
    """axe-core once per kind of page (the walk visits each kind many times). axe runs inside the page,
    so not in the walk without JavaScript — the editor serves the same HTML either way."""

    def __init__(self, page, javascript: bool) -> None:
        self.page, self.javascript, self.seen = page, javascript, set()

    def __call__(self, kind: str) -> None:
        if kind in self.seen or not self.javascript:
            return
        self.seen.add(kind)
        check_accessibility(self.page, f"editor: {kind}")
        narrow_screenshot(self.page, f"editor-{kind.replace(' ', '-')}")


def login(page, app_url: str, next_url: str) -> None:
    page.goto(f"{app_url}/staff/login/?next={next_url}")
    page.fill("#id_username", "staff")
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()


def add_page(page, overview: str, pdef: dict, check: Checked) -> None:
    if page.url != overview:
        page.get_by_role("link", name="alle Seiten").click()
    page.get_by_role("link", name="Neue Seite anlegen").click()
    check("page form")
    page.fill("#id_code", pdef["code"])
    page.fill("#id_title", pdef["title"])
    page.fill("#id_intro", pdef.get("intro", ""))
    page.fill("#id_condition", pdef.get("show_if", ""))
    page.get_by_role("button", name="Speichern").click()
    expect(page.locator("main h2")).to_contain_text(pdef["title"])


def fill_items(page, prefix: str, items: list[dict]) -> None:
    for _attempt in range(3):
        if page.locator(f"#id_{prefix}-{len(items) - 1}-code").count():
            break
        page.get_by_role("button", name="Weitere leere Zeilen anzeigen").click()
    else:
        pytest.fail(f"no line {len(items)} for {prefix} on {page.url}")
    for i, item in enumerate(items):
        page.fill(f"#id_{prefix}-{i}-code", item["code"])
        page.fill(f"#id_{prefix}-{i}-label", item["label"])
        if item.get("exclusive"):
            page.check(f"#id_{prefix}-{i}-exclusive")
        if item.get("other_text"):
            page.check(f"#id_{prefix}-{i}-other_text")


def add_question(page, qdef: dict, check: Checked) -> None:
    page.select_option("#id_typ", qdef["type"])
    page.get_by_role("button", name="Frage hinzufügen").click()
    check(f"question form {qdef['type']}" if qdef["type"] in ("matrix", "multi") else "question form")
    page.fill("#id_code", qdef["code"])
    page.fill("#id_text", qdef["text"])
    page.fill("#id_help_text", qdef.get("help", ""))
    page.fill("#id_condition", qdef.get("show_if", ""))
    if qdef.get("required"):
        page.check("#id_required")
    for key, field in (("min", "min_value"), ("max", "max_value"), ("max_length", "max_length")):
        if key in qdef:
            page.fill(f"#id_{field}", str(qdef[key]))
    if "rows" in qdef:
        fill_items(page, "zeilen", qdef["rows"])
    if "options" in qdef:
        fill_items(page, "optionen", qdef["options"])
    # The live check (JS) answers each typed field with a request that rewrites its hint; a click while
    # one is in flight can land on a node being replaced, so save once the page is quiet.
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="Speichern", exact=True).click()
    expect(page.locator(".messages")).to_contain_text(f"Die Frage {qdef['code']} wurde gespeichert.")


def try_errors(page, check: Checked) -> None:
    """A bad code and a condition naming an option code the question does not have: both explained."""
    page.select_option("#id_typ", "text")
    page.get_by_role("button", name="Frage hinzufügen").click()
    page.fill("#id_code", "9falsch")
    page.fill("#id_text", "Probe")
    page.fill("#id_condition", "A2_beschaeftigte > 5 and A1_bereich = 9")
    page.get_by_role("button", name="Speichern", exact=True).click()
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("Ein Code beginnt mit einem Buchstaben")
    page.fill("#id_code", "A3_probe")
    page.get_by_role("button", name="Speichern", exact=True).click()
    expect(summary).to_contain_text("„9“ an Position 26 ist kein Optionscode von A1_bereich")
    assert page.locator("#id_condition").get_attribute("aria-invalid") == "true"
    check("question form with errors")
    page.get_by_role("link", name="Abbrechen").click()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_staff_builds_the_kgst_questionnaire(app_url, new_context, staff_user, kgst_survey, javascript):
    built = Survey.objects.create(slug="kgst-im-editor", title="Wie nutzen Kommunen Social Media?")
    definition = validate_definition(read_definition(KGST_DEFINITION))
    page = new_context(java_script_enabled=javascript).new_page()
    check = Checked(page, javascript)
    editor_url = f"/staff/befragungen/{built.slug}/fragebogen/"
    login(page, app_url, editor_url)
    expect(page).to_have_url(re.compile(re.escape(editor_url) + "$"))
    check("empty overview")
    for pdef in definition["pages"]:
        add_page(page, f"{app_url}{editor_url}", pdef, check)
        check("empty page")
        for qdef in pdef["questions"]:
            add_question(page, qdef, check)
        check("page")
        if pdef["code"] == "P1":
            try_errors(page, check)
    assert structure_of(built) == structure_of(kgst_survey)
    # the questionnaire downloaded as YAML equals the canonical form of the shipped definition (pages, questions,
    # options, codes and conditions; the survey's own texts are set on the "Texte" page, not in the editor)
    download = page.request.get(f"{app_url}/staff/befragungen/{built.slug}/fragebogen.yaml")
    assert download.ok
    assert yaml.safe_load(download.text())["pages"] == yaml.safe_load(canonical_yaml_of_file(KGST_DEFINITION))["pages"]

    # reorder with the buttons: D2 one down and back up; P5 one up and back down
    page.goto(f"{app_url}{editor_url}")
    check("overview")
    page.get_by_role("link", name="4. Außenkommunikation").click()
    page.get_by_role("button", name="nach unten (Frage D2_ziele_extern)").click()
    expect(page.locator(".messages")).to_contain_text("D2_ziele_extern wurde verschoben")
    assert [q["code"] for q in structure_of(built)[3]["questions"]][1:3] == ["D3_reaktionszeit_festgelegt",
                                                                             "D2_ziele_extern"]
    page.get_by_role("button", name="nach oben (Frage D2_ziele_extern)").click()
    page.goto(f"{app_url}{editor_url}")
    page.get_by_role("button", name="nach oben (Seite P5)").click()
    page.get_by_role("button", name="nach unten (Seite P5)").click()
    # a page others depend on cannot be moved above the questions it needs
    page.get_by_role("button", name="nach oben (Seite P3)").click()
    expect(page.locator(".messages")).to_contain_text("ungültig machen")
    assert structure_of(built) == structure_of(kgst_survey)

    # delete: a question, with a confirmation page; then the history shows who did what
    page.get_by_role("link", name="8. Abschluss").click()
    page.get_by_role("link", name="Löschen (Frage H3_email)").click()
    check("delete confirmation")
    page.get_by_role("button", name="Endgültig löschen").click()
    expect(page.locator(".messages")).to_contain_text("Die Frage H3_email wurde gelöscht.")
    page.goto(f"{app_url}{editor_url}aenderungen/")
    check("history")
    expect(page.locator("main table tbody tr").first).to_contain_text("Frage H3_email gelöscht")
    expected_changes = 8 + 20 + 4 + 1  # pages, questions, four moves, the deletion
    assert SurveyChange.objects.filter(survey=built).count() == expected_changes
