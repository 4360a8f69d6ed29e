"""XLSForm workbooks: the KGSt questionnaire as an Excel user writes it, bad workbooks, relevant → conditions."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from surveys import conditions
from surveys.definition.canonical import canonical
from surveys.definition.export import export_definition
from surveys.definition.read import parse_definition, read_definition
from surveys.definition.validate import validate_definition
from surveys.definition_errors import DefinitionError
from surveys.models import Survey
from surveys.xlsform.expressions import XPathError, condition_to_xpath, xpath_to_condition
from surveys.xlsform.read import read_xlsform
from surveys.xlsform.write import write_xlsform
from tests.conftest import KGST_DEFINITION

from . import kgst_xlsform as kx


def _normalised(data: dict) -> dict:
    """Conditions as parsed trees printed back, so `B1_nutzung = 1` and `B1_nutzung = '1'` compare by meaning."""
    out = canonical(data)
    for page in out["pages"]:
        if "show_if" in page:
            page["show_if"] = conditions.to_source(conditions.parse(page["show_if"]))
        for q in page["questions"]:
            if "show_if" in q:
                q["show_if"] = conditions.to_source(conditions.parse(q["show_if"]))
    return out


def _errors(raw: bytes) -> list[str]:
    with pytest.raises(DefinitionError) as info:
        validate_definition(parse_definition(raw, "form.xlsx"))
    return info.value.errors


def test_kgst_workbook_imports_to_the_structure_of_the_yaml():
    from_xlsx = validate_definition(read_xlsform(kx.workbook_bytes(), "kgst.xlsx"))
    from_yaml = validate_definition(read_definition(KGST_DEFINITION))
    assert _normalised(from_xlsx) == _normalised(from_yaml)


def test_load_survey_accepts_xlsx_and_gives_the_same_survey_as_the_yaml(db, tmp_path):
    path = tmp_path / "kgst.xlsx"
    path.write_bytes(kx.workbook_bytes())
    call_command("load_survey", str(path), verbosity=0)
    from_xlsx = export_definition(Survey.objects.get(slug="kgst-social-media-2013"))
    Survey.objects.all().delete()
    call_command("load_survey", KGST_DEFINITION, verbosity=0)
    from_yaml = export_definition(Survey.objects.get(slug="kgst-social-media-2013"))
    assert _normalised(from_xlsx) == _normalised(from_yaml)
    assert from_xlsx["pages"][2]["questions"][0]["rows"][0] == {"code": "C1_1",
                                                                "label": "Soziale Netzwerke (z. B. interne Netzwerke)"}


def test_xlsform_database_xlsform_is_unchanged(db, tmp_path):
    first = write_xlsform(canonical(validate_definition(read_xlsform(kx.workbook_bytes()))))
    path = tmp_path / "export.xlsx"
    path.write_bytes(first)
    call_command("load_survey", str(path), verbosity=0)
    second = write_xlsform(export_definition(Survey.objects.get(slug="kgst-social-media-2013")))
    assert _cells(second) == _cells(first)


def _cells(raw: bytes) -> dict[str, list[tuple]]:
    book = load_workbook(io.BytesIO(raw))
    return {ws.title: [tuple(row) for row in ws.iter_rows(values_only=True)] for ws in book.worksheets}


def test_written_workbook_keeps_formula_like_text_as_text(db):
    data = canonical(validate_definition(read_definition(KGST_DEFINITION)))
    data["pages"][0]["questions"][0]["text"] = "=HYPERLINK(\"http://evil.example\")"
    book = load_workbook(io.BytesIO(write_xlsform(data)))
    cell = book["survey"]["C3"]
    assert cell.value == "=HYPERLINK(\"http://evil.example\")" and cell.data_type == "s"


def test_translated_columns_become_english_texts():
    header = kx.SURVEY_HEADER[:3] + ["label::English (en)"] + kx.SURVEY_HEADER[3:]
    survey = [["begin_group", "P1", "Seite", "Page"], ["select_one jn", "q1", "Frage?", "Question?"], ["end_group"]]
    raw = kx.workbook_bytes(survey=survey, survey_header=header, choices=[["jn", "1", "Ja"]],
                            settings={"form_title": "T", "form_id": "t-1", "default_language": "Deutsch (de)"})
    data = validate_definition(read_xlsform(raw))
    assert data["pages"][0]["title_en"] == "Page"
    assert data["pages"][0]["questions"][0]["text_en"] == "Question?"


def _form(survey_rows, choices=(("jn", "1", "Ja"), ("jn", "2", "Nein")), settings=None, header=None) -> bytes:
    settings = settings or {"form_title": "Test", "form_id": "test-1"}
    return kx.workbook_bytes(survey=[["begin_group", "P1", "Seite 1"], *survey_rows, ["end_group"]],
                             choices=[list(c) for c in choices], settings=settings,
                             survey_header=header or kx.SURVEY_HEADER)


def test_unknown_type_is_refused_with_its_cell():
    assert _errors(_form([["slider", "q1", "Wie sehr?"]], choices=[])) == [
        "sheet 'survey', row 3, column type (A): unknown type 'slider'"]


@pytest.mark.parametrize("kind, reason", [
    ("begin_repeat", "repeats are not supported"),
    ("calculate", "calculations are not supported"),
    ("geopoint", "locations are not supported"),
])
def test_unsupported_xlsform_types_are_refused_with_the_reason(kind, reason):
    assert _errors(_form([[kind, "q1", "x"], ["select_one jn", "q2", "Frage?"]])) == [
        f"sheet 'survey', row 3, column type (A): type '{kind}': {reason}"]


def test_unsupported_function_in_relevant_points_at_it():
    rows = [["select_multiple jn", "q1", "Frage?"], ["text", "q2", "Warum?", "", "", "count-selected(${q1}) > 1"]]
    assert _errors(_form(rows)) == [
        "sheet 'survey', row 4, column relevant (F): function count-selected() is not supported (only selected() "
        "and not()) (at position 1 of 'count-selected(${q1}) > 1')"]


def test_duplicate_name_names_both_rows():
    rows = [["select_one jn", "q1", "Frage?"], ["text", "q1", "Noch einmal?"]]
    assert _errors(_form(rows)) == [
        "sheet 'survey', row 4, column name (B): duplicate name 'q1' (already used in row 3)"]


def test_select_without_its_choice_list():
    rows = [["select_one jn", "q1", "Frage?"], ["select_one farben", "q2", "Farbe?"]]
    assert _errors(_form(rows)) == [
        "sheet 'survey', row 4, column type (A): choice list 'farben' is not on the choices sheet"]


def test_choice_list_nobody_uses():
    rows = [["select_one jn", "q1", "Frage?"]]
    errors = _errors(_form(rows, choices=[("jn", "1", "Ja"), ("farben", "rot", "Rot")]))
    assert errors == ["sheet 'choices', row 3, column list_name (A): choice list 'farben' is not used by any question"]


def test_empty_survey_sheet():
    raw = kx.workbook_bytes(survey=[], settings={"form_title": "Test", "form_id": "test-1"}, choices=None)
    assert _errors(raw) == ["sheet 'survey': the survey sheet is empty: it needs at least one group "
                            "(begin_group … end_group) with questions"]


@pytest.mark.parametrize("raw", [b"type,name,label\ntext,q1,Frage\n", b"PK\x03\x04 this is not a zip", b""])
def test_a_file_that_is_not_a_workbook(raw):
    assert _errors(raw) == ["form.xlsx: not an Excel workbook (.xlsx); save the XLSForm as 'Excel workbook "
                            "(.xlsx)' and try again"]


def test_several_problems_are_all_reported_and_validation_errors_name_the_row():
    rows = [["integer", "q1", "Zahl?", "", "", "", ". >= 10 and . <= 5"],
            ["select_one jn", "q2", "Frage?", "", "vielleicht"],
            ["text", "q3", "", "", "", "${q9} = 'x'"]]
    errors = _errors(_form(rows))
    assert errors == ["sheet 'survey', row 4, column required (E): 'vielleicht': write yes or leave it empty"]
    assert _errors(_form([rows[0], rows[2]], choices=[])) == [
        "sheet 'survey', row 4: pages[0].questions[1].text: '' should be non-empty"]
    assert _errors(_form([rows[0]], choices=[])) == [
        "sheet 'survey', row 3: pages[0].questions[0] (q1): min (10) is greater than max (5)"]
    rows[2][2] = "Warum?"
    assert _errors(_form([rows[2]], choices=[])) == [
        "sheet 'survey', row 3: q3: condition \"q9 = 'x'\" at position 0: unknown variable 'q9'"]


def test_missing_settings_and_bad_form_id():
    raw = kx.workbook_bytes(survey=[["begin_group", "P1", "S"], ["text", "q1", "F?"], ["end_group"]], choices=None,
                            settings={"form_title": "Test", "form_id": "Test_2025"})
    assert _errors(raw) == [
        "sheet 'settings', row 2, column form_id (B): form_id 'Test_2025' cannot be the survey's identifier: use "
        "lower-case letters, digits and hyphens, starting with a letter or digit (e.g. kgst-social-media-2025)"]
    raw = kx.workbook_bytes(survey=[["begin_group", "P1", "S"], ["text", "q1", "F?"], ["end_group"]], choices=None,
                            settings=None)
    assert _errors(raw) == ["sheet 'settings': the workbook needs a 'settings' sheet with form_title and form_id "
                            "(the survey's identifier)"]


def test_question_outside_a_group_and_unclosed_group():
    raw = kx.workbook_bytes(survey=[["text", "q0", "Draußen?"], ["begin_group", "P1", "S"], ["text", "q1", "F?"]],
                            choices=None, settings={"form_title": "Test", "form_id": "test-1"})
    assert _errors(raw) == [
        "sheet 'survey', row 2, column type (A): every question must be inside a group (begin_group … end_group); "
        "each group at the top level is one page",
        "sheet 'survey', row 3, column type (A): begin_group without its end_group"]


def test_unsupported_column_and_language():
    header = [*kx.SURVEY_HEADER, "label::Français (fr)", "calculation"]
    rows = [["text", "q1", "Frage?", "", "", "", "", "", "Question?", "1+1"]]
    errors = _errors(_form(rows, header=header, choices=[]))
    assert "sheet 'survey', row 3, column calculation (J): column 'calculation' is not supported" in errors
    assert ("sheet 'survey', column label::Français (fr) (I): language 'Français (fr)' is not supported: questions "
            "are asked in German, with an optional English translation") in errors


def test_or_other_adds_an_other_option_with_text():
    data = validate_definition(read_xlsform(_form([["select_one jn or_other", "q1", "Frage?"]])))
    assert data["pages"][0]["questions"][0]["options"][-1] == {"code": "other", "label": "Sonstiges",
                                                               "other_text": True}


@pytest.mark.parametrize("xpath, condition", [
    ("${a} = 'v'", "a = 'v'"),
    ("${a} = '1'", "a = 1"),
    ("${a} = 1", "a = 1"),
    ("${a} != 'x'", "a != 'x'"),
    ("${n} < 5", "n < 5"),
    ("${n} <= 5", "n <= 5"),
    ("${n} > 5", "n > 5"),
    ("${n} >= -5", "n >= -5"),
    ("selected(${m}, '2')", "m contains 2"),
    ("selected( ${m} , \"x y\" )", "m contains 'x y'"),
    ("${a} != ''", "answered a"),
    ("${a} = ''", "not answered a"),
    ("not(${a} = 1)", "not a = 1"),
    ("${a} = 1 and ${b} = 2 or ${c} = 3", "(a = 1 and b = 2) or c = 3"),
    ("${a} = 1 and (${b} = 2 or ${c} = 3)", "a = 1 and (b = 2 or c = 3)"),
    ("not(selected(${m}, '1') or ${a} != '')", "not (m contains 1 or answered a)"),
])
def test_relevant_subset_translates(xpath, condition):
    assert xpath_to_condition(xpath) == condition
    assert conditions.to_source(conditions.parse(condition)) == condition
    assert xpath_to_condition(condition_to_xpath(condition)) == condition


@pytest.mark.parametrize("xpath, message, position", [
    ("count-selected(${m}) > 1", "function count-selected() is not supported (only selected() and not())", 0),
    ("${a} = 1 and", "expected a comparison such as ${x} = 'v', found the end of the expression", 12),
    ("${a} + 1 = 2", "unexpected character '+'", 5),
    ("${a} = 1 or today() > 1", "function today() is not supported (only selected() and not())", 12),
    ("${a}", "expected a comparison operator (=, !=, <, <=, >, >=) after ${a}, found the end of the expression", 4),
    ("1 = ${a}", "expected a comparison such as ${x} = 'v', found '1'", 0),
    ("(${a} = 1", "expected ')', found the end of the expression", 9),
])
def test_relevant_outside_the_subset_is_refused(xpath, message, position):
    with pytest.raises(XPathError) as info:
        xpath_to_condition(xpath)
    assert (info.value.message, info.value.position) == (message, position)


def test_relevant_nesting_is_bounded():
    with pytest.raises(XPathError, match="too deeply nested"):
        xpath_to_condition("(" * 5000 + "${a} = 1" + ")" * 5000)


def test_load_survey_refuses_a_bad_workbook_and_stores_nothing(db, tmp_path):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(_form([["slider", "q1", "Wie sehr?"]], choices=[]))
    with pytest.raises(CommandError, match=r"row 3, column type \(A\): unknown type 'slider'"):
        call_command("load_survey", str(path), verbosity=0)
    assert not Survey.objects.exists()


def test_odk_field_list_matrix_with_a_label_row():
    rows = [["begin_group", "M1", "Wie zufrieden sind Sie?", "", "", "", "", "field-list"],
            ["select_one jn", "M1_kopf", "", "", "", "", "", "label"],
            ["select_one jn", "M1_a", "Mit A", "", "yes", "", "", "list-nolabel"],
            ["select_one jn", "M1_b", "Mit B", "", "yes", "", "", "list-nolabel"],
            ["end_group"]]
    (question,) = validate_definition(read_xlsform(_form(rows)))["pages"][0]["questions"]
    assert question == {"code": "M1", "type": "matrix", "text": "Wie zufrieden sind Sie?", "required": True,
                        "rows": [{"code": "M1_a", "label": "Mit A"}, {"code": "M1_b", "label": "Mit B"}],
                        "options": [{"code": "1", "label": "Ja"}, {"code": "2", "label": "Nein"}]}


def test_a_group_in_a_page_that_is_not_a_matrix_is_refused():
    rows = [["begin_group", "G1", "Gruppe", "", "", "", "", "table-list"], ["text", "t1", "Text?"], ["end_group"]]
    assert _errors(_form(rows, choices=[])) == [
        "sheet 'survey', row 4, column type (A): a matrix group (a group inside a page) may only hold select_one "
        "questions of one choice list"]


def test_a_huge_sheet_is_refused_without_reading_it_all(monkeypatch):
    from surveys.xlsform import sheets

    monkeypatch.setattr(sheets, "MAX_ROWS", 10)
    rows = [["text", f"q{i}", "Frage?"] for i in range(12)]
    assert _errors(_form(rows, choices=[])) == [
        "form.xlsx: sheet 'survey' has more than 10 rows; that is not a questionnaire"]
