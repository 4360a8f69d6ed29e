"""Bad workbooks and schema errors: German (with sheet, row, column or page/question/field) in the staff
upload report, English in the English staff UI, and exactly the old English text from load_survey."""

from __future__ import annotations

import html
import re

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from surveys.definition import views as definition_views
from surveys.definition_errors import DefinitionRefused, Message
from surveys.xlsform.read import UNSUPPORTED_TYPES
from tests.conftest import KGST_DEFINITION

from . import kgst_xlsform as kx

pytestmark = pytest.mark.django_db


def _form(survey_rows, choices=(("jn", "1", "Ja"), ("jn", "2", "Nein"))) -> bytes:
    return kx.workbook_bytes(survey=[["begin_group", "P1", "Seite 1"], *survey_rows, ["end_group"]],
                             choices=[list(c) for c in choices], settings={"form_title": "Test", "form_id": "test-1"},
                             survey_header=kx.SURVEY_HEADER)


def _problems(client, name: str, content: bytes) -> list[str]:
    """The items of the report's problem list, unescaped, each with its lang attribute (or None)."""
    response = client.post(reverse("staff:definition_upload"), {"file": SimpleUploadedFile(name, content)},
                           follow=True)
    body = response.content.decode()
    listing = re.search(r'<ul class="mb-0" id="problems">(.*?)</ul>', body, re.S)
    assert listing, body
    return [(html.unescape(re.sub(r"<[^>]+>", "", text)), lang)
            for lang, text in re.findall(r'<li(?: lang="(\w+)")?>(.*?)</li>', listing.group(1), re.S)]


def _cli(tmp_path, name: str, content: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CommandError) as raised:
        call_command("load_survey", str(path))
    return str(raised.value).replace(f"{tmp_path}/", "")  # the file's place, as given on the command line


# (workbook rows or raw bytes, German line in the report, English line in the English UI, English CLI line)
WORKBOOK_CASES = {
    "unknown type": (
        _form([["slider", "q1", "Wie sehr?"]], choices=[]),
        "Tabellenblatt „survey“, Zeile 3, Spalte type (A): Unbekannter Typ „slider“.",
        "Sheet “survey”, row 3, column type (A): Unknown type “slider”.",
        "sheet 'survey', row 3, column type (A): unknown type 'slider'"),
    "unsupported type": (
        _form([["calculate", "q1", "x"], ["select_one jn", "q2", "Frage?"]]),
        "Tabellenblatt „survey“, Zeile 3, Spalte type (A): Typ „calculate“: Berechnungen werden nicht unterstützt.",
        "Sheet “survey”, row 3, column type (A): Type “calculate”: calculations are not supported.",
        "sheet 'survey', row 3, column type (A): type 'calculate': calculations are not supported"),
    "unsupported function in relevant": (
        _form([["select_multiple jn", "q1", "Frage?"], ["text", "q2", "Warum?", "", "", "count-selected(${q1}) > 1"]]),
        "Tabellenblatt „survey“, Zeile 4, Spalte relevant (F): die Funktion count-selected() wird nicht unterstützt "
        "(nur selected() und not()) (an Position 1 von „count-selected(${q1}) > 1“)",
        "Sheet “survey”, row 4, column relevant (F): function count-selected() is not supported (only selected() "
        "and not()) (at position 1 of “count-selected(${q1}) > 1”)",
        "sheet 'survey', row 4, column relevant (F): function count-selected() is not supported (only selected() "
        "and not()) (at position 1 of 'count-selected(${q1}) > 1')"),
    "duplicate name": (
        _form([["select_one jn", "q1", "Frage?"], ["text", "q1", "Noch einmal?"]]),
        "Tabellenblatt „survey“, Zeile 4, Spalte name (B): Der Name „q1“ kommt zweimal vor (schon in Zeile 3).",
        "Sheet “survey”, row 4, column name (B): Duplicate name “q1” (already used in row 3).",
        "sheet 'survey', row 4, column name (B): duplicate name 'q1' (already used in row 3)"),
    "select without its choice list": (
        _form([["select_one jn", "q1", "Frage?"], ["select_one farben", "q2", "Farbe?"]]),
        "Tabellenblatt „survey“, Zeile 4, Spalte type (A): Die Auswahlliste „farben“ steht nicht im Tabellenblatt "
        "„choices“.",
        "Sheet “survey”, row 4, column type (A): Choice list “farben” is not on the choices sheet.",
        "sheet 'survey', row 4, column type (A): choice list 'farben' is not on the choices sheet"),
    "unused choice list": (
        _form([["select_one jn", "q1", "Frage?"]], choices=[("jn", "1", "Ja"), ("farben", "rot", "Rot")]),
        "Tabellenblatt „choices“, Zeile 3, Spalte list_name (A): Die Auswahlliste „farben“ wird von keiner Frage "
        "verwendet.",
        "Sheet “choices”, row 3, column list_name (A): Choice list “farben” is not used by any question.",
        "sheet 'choices', row 3, column list_name (A): choice list 'farben' is not used by any question"),
    "empty survey sheet": (
        kx.workbook_bytes(survey=[], settings={"form_title": "Test", "form_id": "test-1"}, choices=None),
        "Tabellenblatt „survey“: Das Tabellenblatt „survey“ ist leer: Es braucht mindestens eine Gruppe "
        "(begin_group … end_group) mit Fragen.",
        "Sheet “survey”: The survey sheet is empty: it needs at least one group (begin_group … end_group) with "
        "questions.",
        "sheet 'survey': the survey sheet is empty: it needs at least one group (begin_group … end_group) with "
        "questions"),
    "not a workbook": (
        b"type,name,label\ntext,q1,Frage\n",
        "form.xlsx: Die Datei ist keine Excel-Arbeitsmappe (.xlsx). Bitte das XLSForm als „Excel-Arbeitsmappe "
        "(.xlsx)“ speichern und erneut hochladen.",
        "form.xlsx: not an Excel workbook (.xlsx). Save the XLSForm as “Excel workbook (.xlsx)” and upload it again.",
        "form.xlsx: not an Excel workbook (.xlsx); save the XLSForm as 'Excel workbook (.xlsx)' and try again"),
}


@pytest.mark.parametrize("case", list(WORKBOOK_CASES))
def test_bad_workbook_german_in_the_report_english_on_the_command_line(case, staff_client, tmp_path):
    raw, german, english_ui, cli = WORKBOOK_CASES[case]
    assert _problems(staff_client, "form.xlsx", raw) == [(german, "")]  # German, and not marked English
    assert _cli(tmp_path, "form.xlsx", raw) == cli
    staff_client.cookies["django_language"] = "en"
    assert _problems(staff_client, "form.xlsx", raw) == [(english_ui, "")]


@pytest.mark.parametrize("kind", sorted(UNSUPPORTED_TYPES))
def test_every_unsupported_type_has_a_german_reason_and_its_english_translation(kind):
    reason = UNSUPPORTED_TYPES[kind]
    assert isinstance(reason, Message)
    with translation.override("de"):
        assert reason.message() != str(reason) and "unterstützt" in reason.message()
    with translation.override("en"):
        assert reason.message() == str(reason)  # the English UI says what the command line says


def _kgst() -> dict:
    data = yaml.safe_load(open(KGST_DEFINITION, encoding="utf-8"))
    data["slug"] = "schema-fehler"
    return data


SCHEMA_CASES = {
    "enum": (lambda d: d["pages"][1]["questions"][2].__setitem__("type", "slider"),
             "Seite 2, Frage 3, Feld ‚type‘: „slider“ ist nicht erlaubt; erlaubt sind: single, multi, matrix, number, "
             "text, textarea, email, date.",
             "pages[1].questions[2].type: 'slider' is not one of ['single', 'multi', 'matrix', 'number', 'text', "
             "'textarea', 'email', 'date']"),
    "required": (lambda d: d["pages"][0]["questions"][1].pop("text"),
                 "Seite 1, Frage 2: Das Pflichtfeld „text“ fehlt.",
                 "pages[0].questions[1]: 'text' is a required property"),
    "additionalProperties": (lambda d: d["pages"][0]["questions"][0].__setitem__("farbe", "rot"),
                             "Seite 1, Frage 1: Das Feld „farbe“ ist hier nicht vorgesehen.",
                             "pages[0].questions[0]: Additional properties are not allowed ('farbe' was unexpected)"),
    "type": (lambda d: d.__setitem__("title", 5),
             "Feld ‚title‘: Hier wird ein Text erwartet, nicht „5“.",
             "title: 5 is not of type 'string'"),
    "pattern": (lambda d: d.__setitem__("slug", "Schema Fehler"),
                "Feld ‚slug‘: „Schema Fehler“ hat nicht die erwartete Form (Muster ^[a-z0-9][a-z0-9-]*$).",
                "slug: 'Schema Fehler' does not match '^[a-z0-9][a-z0-9-]*$'"),
    "minItems": (lambda d: d["pages"][2].__setitem__("questions", []),
                 "Seite 3, Feld ‚questions‘: Die Liste darf nicht leer sein.",
                 "pages[2].questions: [] should be non-empty"),
    "minimum": (lambda d: d.__setitem__("estimated_minutes", 0),
                "Feld ‚estimated_minutes‘: 0 ist zu klein (mindestens 1).",
                "estimated_minutes: 0 is less than the minimum of 1"),
}


@pytest.mark.parametrize("case", list(SCHEMA_CASES))
def test_schema_error_german_with_its_place_english_on_the_command_line(case, staff_client, tmp_path):
    change, german, cli = SCHEMA_CASES[case]
    data = _kgst()
    change(data)
    content = yaml.safe_dump(data, allow_unicode=True).encode()
    assert _problems(staff_client, "fehler.yaml", content) == [(german, "")]
    assert _cli(tmp_path, "fehler.yaml", content) == cli


def test_schema_errors_all_listed_in_german_and_the_english_ui_in_english(staff_client):
    data = _kgst()
    for change, _german, _cli_line in SCHEMA_CASES.values():
        change(data)
    content = yaml.safe_dump(data, allow_unicode=True).encode()
    problems = _problems(staff_client, "fehler.yaml", content)
    assert sorted(text for text, _lang in problems) == sorted(german for _c, german, _l in SCHEMA_CASES.values())
    assert {lang for _text, lang in problems} == {""}
    staff_client.cookies["django_language"] = "en"
    english = dict.fromkeys(text for text, _lang in _problems(staff_client, "fehler.yaml", content))
    assert "Page 2, Question 3, field ‘type’: “slider” is not allowed; allowed are: single, multi, matrix, number, " \
           "text, textarea, email, date." in english
    assert "Page 1, Question 2: The required field “text” is missing." in english


def test_a_refusal_at_confirmation_is_shown_in_german(staff_client, monkeypatch):
    """Answers may arrive between report and confirmation; the refusal then is German too."""
    def refuse(data):
        raise DefinitionRefused([Message("A1: would remove an answered question",
                                                    "A1: würde eine beantwortete Frage entfernen")])

    response = staff_client.post(reverse("staff:definition_upload"),
                                 {"file": SimpleUploadedFile("kgst.xlsx", kx.workbook_bytes())}, follow=True)
    monkeypatch.setattr(definition_views, "sync_survey", refuse)
    body = staff_client.post(response.redirect_chain[-1][0], follow=True).content.decode()
    assert "Nicht übernommen: A1: würde eine beantwortete Frage entfernen" in html.unescape(body)
