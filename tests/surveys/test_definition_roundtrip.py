"""Definitions written from the database: canonical YAML, load → download → load, random definitions (hypothesis)."""

from __future__ import annotations

import io

import pytest
import yaml
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from surveys import conditions
from surveys.definition.canonical import canonical
from surveys.definition.export import export_definition
from surveys.definition.read import parse_definition, read_definition
from surveys.definition.sync import sync_survey
from surveys.definition.validate import validate_definition
from surveys.definition.write import canonical_yaml_of_file, dump_yaml
from surveys.models import Survey
from surveys.xlsform.expressions import condition_to_xpath, xpath_to_condition
from surveys.xlsform.read import read_xlsform
from surveys.xlsform.write import write_xlsform
from tests.conftest import KGST_DEFINITION

pytestmark = pytest.mark.django_db


def test_kgst_download_equals_the_canonical_form_of_the_shipped_file(kgst_survey):
    assert dump_yaml(export_definition(kgst_survey)) == canonical_yaml_of_file(KGST_DEFINITION)


def test_canonical_form_is_parse_normalise_dump_and_a_fixed_point(tmp_path):
    text = canonical_yaml_of_file(KGST_DEFINITION)
    again = tmp_path / "again.yaml"
    again.write_text(text, encoding="utf-8")
    assert canonical_yaml_of_file(again) == text
    shipped = yaml.safe_load(open(KGST_DEFINITION, encoding="utf-8"))
    assert list(yaml.safe_load(text)) == ["slug", "title", "intro", "organisers", "contact_email", "field_period",
                                          "pages"]
    assert len(yaml.safe_load(text)["pages"]) == len(shipped["pages"])


def test_load_download_load_gives_the_same_survey(kgst_survey, tmp_path):
    downloaded = tmp_path / "download.yaml"
    downloaded.write_text(dump_yaml(export_definition(kgst_survey)), encoding="utf-8")
    before = export_definition(kgst_survey)
    ids = dict(kgst_survey.questions.values_list("code", "pk"))
    call_command("load_survey", str(downloaded), verbosity=0)
    survey = Survey.objects.get(slug=kgst_survey.slug)
    assert export_definition(survey) == before
    assert dict(survey.questions.values_list("code", "pk")) == ids  # updated in place, not recreated


FULL = """
slug: alles-2025
title: Alles
title_en: Everything
intro: "Zeile 1\\nZeile 2"
intro_en: Welcome
estimated_minutes: 12
closing_text: Danke!
closing_text_en: Thanks!
privacy_notice: "Verantwortlich: KGSt"
organisers: KGSt
contact_email: a@b.de
sender_name: KGSt-Befragungsteam
field_period: {opens: 2025-03-01, closes: 2025-04-30}
emails:
  invitation: {subject: "Einladung {kommune}", body: "Link: {link}"}
  reminder: {subject: Erinnerung, body: "Noch offen: {link}"}
pages:
  - code: P1
    title: Seite
    title_en: Page
    intro_en: Intro
    questions:
      - {code: q1, type: single, text: Frage, text_en: Question, help: Hilfe, help_en: Help, required: false,
         options: [{code: "1", label: Ja, label_en: "Yes"}, {code: "2", label: Nein, exclusive: false}]}
      - {code: q2, type: matrix, text: Matrix, rows: [{code: r1, label: Zeile, label_en: Row}],
         options: [{code: a, label: A}]}
"""


def test_every_new_field_is_stored_and_written_back(tmp_path):
    path = tmp_path / "alles.yaml"
    path.write_text(FULL, encoding="utf-8")
    call_command("load_survey", str(path), verbosity=0)
    survey = Survey.objects.get(slug="alles-2025")
    assert (survey.title_en, survey.estimated_minutes, survey.sender_name, survey.invitation_subject,
            survey.reminder_body) == ("Everything", 12, "KGSt-Befragungsteam", "Einladung {kommune}",
                                      "Noch offen: {link}")
    q1 = survey.questions.get(code="q1")
    assert (q1.text_en, q1.help_text_en, q1.options.get(code="1").label_en) == ("Question", "Help", "Yes")
    assert survey.pages.get().title_en == "Page"
    exported = export_definition(survey)
    assert exported == canonical(validate_definition(read_definition(path)))
    assert "required" not in exported["pages"][0]["questions"][0]  # empty optionals are omitted
    assert "exclusive" not in exported["pages"][0]["questions"][0]["options"][1]
    # and through XLSForm: the same survey again
    Survey.objects.all().delete()
    sync_survey(validate_definition(read_xlsform(write_xlsform(exported))))
    assert export_definition(Survey.objects.get(slug="alles-2025")) == exported


# --- property: random valid definitions ------------------------------------------------------

ALPHABET = "abcdefghijklmnopqrstuvwxyzABCXYZäöüßÄÖÜ€„“–0123456789 .,;:!?'\"=+-@#&()[]{}/\\*%$\n"
texts = st.text(ALPHABET, min_size=1, max_size=25).map(str.strip).filter(bool)
maybe = st.one_of(st.none(), texts)
# Texts that become mail headers (sender name, subjects) refuse line breaks (issue L).
header_texts = st.one_of(st.none(), texts.map(lambda text: " ".join(text.split())).filter(bool))


@st.composite
def definitions(draw) -> dict:
    counter = iter(range(1, 10_000))
    data = {"slug": draw(st.from_regex(r"[a-z0-9][a-z0-9-]{0,20}", fullmatch=True)), "title": draw(texts)}
    for key in ("title_en", "intro", "intro_en", "closing_text", "closing_text_en", "privacy_notice", "organisers"):
        data[key] = draw(maybe)
    data["sender_name"] = draw(header_texts)
    data["estimated_minutes"] = draw(st.one_of(st.none(), st.integers(1, 1000)))
    data["contact_email"] = draw(st.sampled_from([None, "befragung@kgst.de"]))
    data["field_period"] = {"opens": draw(st.sampled_from([None, "2025-03-01"])),
                            "closes": draw(st.sampled_from([None, "2025-04-30"]))}
    data["emails"] = {kind: {"subject": draw(header_texts), "body": draw(maybe)} for kind in ("invitation", "reminder")}
    asked: list[dict] = []  # choice/number variables asked so far: what conditions may refer to
    pages = []
    for p_index in range(draw(st.integers(1, 3))):
        page = {"code": f"P{next(counter)}", "title": draw(texts), "title_en": draw(maybe), "intro": draw(maybe),
                "intro_en": draw(maybe), "questions": []}
        if asked and draw(st.booleans()):
            page["show_if"] = draw(condition(asked))
        page_asked = []
        for _q in range(draw(st.integers(1, 4))):
            question = draw(questions(f"q{next(counter)}", lambda: f"r{next(counter)}"))
            if (asked or page_asked) and draw(st.booleans()):
                question["show_if"] = draw(condition(asked + page_asked))
            page["questions"].append(question)
            page_asked.extend(_variables(question))
        asked.extend(page_asked)
        pages.append(page)
    data["pages"] = pages
    return canonical(data)  # without the None placeholders: a valid definition


def _variables(question: dict) -> list[dict]:
    if question["type"] == "matrix":
        return [{"code": r["code"], "type": "single", "options": question["options"]} for r in question["rows"]]
    if question["type"] in ("single", "multi", "number", "text"):
        return [question]
    return []


@st.composite
def questions(draw, code: str, row_code) -> dict:
    qtype = draw(st.sampled_from(["single", "multi", "matrix", "number", "text", "textarea", "email", "date"]))
    q = {"code": code, "type": qtype, "text": draw(texts), "text_en": draw(maybe), "help": draw(maybe),
         "help_en": draw(maybe), "required": draw(st.booleans())}
    if qtype in ("single", "multi", "matrix"):
        codes = draw(st.lists(st.from_regex(r"[A-Za-z0-9_]{1,4}", fullmatch=True), min_size=1, max_size=4,
                              unique=True))
        q["options"] = [{"code": c, "label": draw(texts), "label_en": draw(maybe),
                         "exclusive": qtype == "multi" and draw(st.booleans()),
                         "other_text": qtype != "matrix" and draw(st.booleans())} for c in codes]
    if qtype == "matrix":
        q["rows"] = [{"code": row_code(), "label": draw(texts), "label_en": draw(maybe)}
                     for _ in range(draw(st.integers(1, 3)))]
    if qtype == "number":
        low = draw(st.one_of(st.none(), st.integers(-50, 50)))
        high = draw(st.one_of(st.none(), st.integers(low if low is not None else -50, 1000)))
        q["min"], q["max"] = low, high
    if qtype in ("text", "textarea"):
        q["max_length"] = draw(st.one_of(st.none(), st.integers(1, 5000)))
    return q


@st.composite
def condition(draw, asked: list[dict]) -> str:
    def leaf() -> str:
        var = draw(st.sampled_from(asked))
        if var["type"] == "number":
            op = draw(st.sampled_from(["<", "<=", ">", ">=", "=", "!="]))
            return f"{var['code']} {op} {draw(st.integers(-9, 99))}"
        if var["type"] == "text":
            return f"answered {var['code']}"
        code = draw(st.sampled_from([o["code"] for o in var["options"]]))
        literal = conditions.Literal(code, False).source()
        if var["type"] == "multi":
            return f"{var['code']} contains {literal}"
        return f"{var['code']} {draw(st.sampled_from(['=', '!=']))} {literal}"

    parts = [leaf() for _ in range(draw(st.integers(1, 3)))]
    expr = parts[0]
    for part in parts[1:]:
        expr = f"{expr} {draw(st.sampled_from(['and', 'or']))} {part}"
    return f"not ({expr})" if draw(st.booleans()) else expr


def _cells(raw: bytes) -> dict[str, list[tuple]]:
    book = load_workbook(io.BytesIO(raw))
    return {ws.title: [tuple(row) for row in ws.iter_rows(values_only=True)] for ws in book.worksheets}


def _fresh(data: dict) -> Survey:
    Survey.objects.all().delete()
    return sync_survey(data).survey


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(data=definitions())
def test_random_definitions_survive_yaml_database_yaml(data):
    expected = canonical(validate_definition(data))
    text = dump_yaml(data)
    survey = _fresh(validate_definition(parse_definition(text.encode("utf-8"), "random.yaml")))
    assert export_definition(survey) == expected
    assert dump_yaml(export_definition(survey)) == text


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(data=definitions())
def test_random_definitions_survive_xlsform_database_xlsform(data):
    first = write_xlsform(export_definition(_fresh(validate_definition(data))))
    survey = _fresh(validate_definition(read_xlsform(first, "random.xlsx")))
    second = write_xlsform(export_definition(survey))
    assert _cells(second) == _cells(first)
    # the survey itself is the one loaded from the definition; conditions in XLSForm's spelling ('1' → 1)
    expected = canonical(validate_definition(data))
    for page in expected["pages"]:
        for item in [page, *page["questions"]]:
            if "show_if" in item:
                item["show_if"] = xpath_to_condition(condition_to_xpath(item["show_if"]))
    assert export_definition(survey) == expected
