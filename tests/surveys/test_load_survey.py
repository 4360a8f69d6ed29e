"""load_survey: the shipped KGSt definition, idempotency, refusal of changes to answered variables,
and clear errors for invalid files."""

import copy
import io
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from surveys.definition.read import read_definition
from surveys.definition.sync import definition_hash
from surveys.definition.validate import validate_definition
from surveys.models import Option, Page, Question, Row, Survey

KGST = Path(__file__).resolve().parents[2] / "surveys/definitions/kgst-social-media-2013.yaml"

# The codebook (shared/questionnaire/kgst-social-media.md), written out independently of the YAML.
CODEBOOK = {
    "P1": {"A1_bereich": ("single", ["1", "2", "3", "4", "5", "6"]),
           "A2_beschaeftigte": ("number", [])},
    "P2": {"B1_nutzung": ("single", ["1", "2"]),
           "B2_zweck": ("multi", ["1", "2"]),
           "B3_dauer": ("single", ["1", "2", "3"])},
    "P3": {"C1": ("matrix", ["1", "2", "3"]),
           "C2_ziele_intern": ("single", ["1", "2", "3", "4", "9"])},
    "P4": {"D1_extern": ("multi", ["1", "2", "3", "4", "5", "6", "7"]),
           "D2_ziele_extern": ("single", ["1", "2", "3", "4", "9"]),
           "D3_reaktionszeit_festgelegt": ("single", ["1", "2"]),
           "D4_reaktionszeit": ("single", ["1", "2", "3", "4"])},
    "P5": {"E1_strategie": ("single", ["1", "2", "3"]),
           "E2_richtlinie": ("single", ["1", "2", "3"]),
           "E3_monitoring": ("single", ["1", "2", "3", "4"])},
    "P6": {"F1_hemmnisse": ("multi", ["1", "2", "3", "4", "5", "6", "7", "8"])},
    "P7": {"G1_ausbau": ("multi", ["1", "2", "3", "4", "5", "6"]),
           "G2_einfuehrung": ("single", ["1", "2", "3", "9"])},
    "P8": {"H1_anmerkungen": ("textarea", []),
           "H2_ergebnisse": ("single", ["1", "2"]),
           "H3_email": ("email", [])},
}
PAGE_CONDITIONS = {"P3": "B2_zweck contains 1", "P4": "B2_zweck contains 2", "P5": "B1_nutzung = 1"}
QUESTION_CONDITIONS = {"B2_zweck": "B1_nutzung = 1", "B3_dauer": "B1_nutzung = 1", "G1_ausbau": "B1_nutzung = 1",
                       "G2_einfuehrung": "B1_nutzung = 2", "H3_email": "H2_ergebnisse = 1"}
REQUIRED = {"B1_nutzung", "B2_zweck", "H3_email"}
EXCLUSIVE = {("F1_hemmnisse", "8"), ("G1_ausbau", "6")}
OTHER_TEXT = {("A1_bereich", "6"), ("D1_extern", "7"), ("F1_hemmnisse", "7")}


def load(path, **kwargs) -> str:
    out = io.StringIO()
    call_command("load_survey", str(path), stdout=out, **kwargs)
    return out.getvalue()


def kgst_data() -> dict:
    return read_definition(KGST)


def write(tmp_path, data, name="def.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def question_def(data, code):
    return next(q for p in data["pages"] for q in p["questions"] if q["code"] == code)


def snapshot():
    """Everything load_survey writes, with ids, to prove "nothing changed"."""
    return (
        list(Survey.objects.values_list("id", "slug", "title", "status", "definition_hash", "updated_at")),
        list(Page.objects.order_by("id").values_list("id", "code", "position", "title", "condition")),
        list(Question.objects.order_by("id").values_list("id", "code", "page_id", "type", "text", "required",
                                                          "condition", "min_value", "max_value", "max_length")),
        list(Option.objects.order_by("id").values_list("id", "question_id", "code", "label", "exclusive", "has_text")),
        list(Row.objects.order_by("id").values_list("id", "question_id", "code", "label")),
    )


# --- the shipped definition ------------------------------------------------------------------

@pytest.mark.django_db
def test_kgst_matches_the_codebook():
    assert "created (8 pages, 20 questions)" in load(KGST)
    survey = Survey.objects.get(slug="kgst-social-media-2013")
    assert survey.title == "Wie nutzen Kommunen Social Media?"
    assert "KGSt (Köln)" in survey.organisers and "Cassini" in survey.organisers and "ifib" in survey.organisers
    assert str(survey.opens_on) == "2013-06-03" and str(survey.closes_on) == "2013-08-30"
    assert survey.status == Survey.Status.DRAFT
    assert len(survey.definition_hash) == 64

    pages = list(survey.pages.order_by("position"))
    assert [p.code for p in pages] == list(CODEBOOK)
    assert pages[0].intro.startswith("Vielen Dank, dass Sie an der Befragung teilnehmen.")
    assert {p.code: p.condition for p in pages if p.condition} == PAGE_CONDITIONS

    for page in pages:
        questions = list(page.questions.order_by("position"))
        assert [q.code for q in questions] == list(CODEBOOK[page.code])
        for q in questions:
            qtype, options = CODEBOOK[page.code][q.code]
            assert q.type == qtype, q.code
            assert [o.code for o in q.options.order_by("position")] == options, q.code
            assert q.required == (q.code in REQUIRED), q.code
            assert q.condition == QUESTION_CONDITIONS.get(q.code, ""), q.code
    assert Question.objects.filter(survey=survey).count() == 20

    assert {(o.question.code, o.code) for o in Option.objects.filter(exclusive=True)} == EXCLUSIVE
    assert {(o.question.code, o.code) for o in Option.objects.filter(has_text=True)} == OTHER_TEXT
    c1 = Question.objects.get(code="C1")
    assert [r.code for r in c1.rows.order_by("position")] == [f"C1_{i}" for i in range(1, 7)]
    a2 = Question.objects.get(code="A2_beschaeftigte")
    assert (a2.min_value, a2.max_value) == (1, 100000)
    assert Question.objects.get(code="H1_anmerkungen").max_length == 5000
    assert Option.objects.get(question__code="B1_nutzung", code="1").label == "Ja"


@pytest.mark.django_db
def test_loading_twice_changes_nothing():
    load(KGST)
    survey = Survey.objects.get()
    survey.open()
    before = snapshot()
    assert load(KGST).strip() == "kgst-social-media-2013: unchanged"
    assert snapshot() == before


@pytest.mark.django_db
def test_reload_keeps_ids_and_status_and_updates_wording(tmp_path):
    load(KGST)
    Survey.objects.get().open()
    ids = dict(Question.objects.values_list("code", "id"))
    option_ids = set(Option.objects.values_list("id", flat=True))
    data = kgst_data()
    question_def(data, "B1_nutzung")["text"] = "Setzt Ihre Kommune Social Media ein?"
    question_def(data, "B1_nutzung")["options"][0]["label"] = "Ja, wir nutzen Social Media"
    data["pages"][0]["title"] = "Zu Ihrer Person"
    assert "updated" in load(write(tmp_path, data))
    survey = Survey.objects.get()
    assert survey.status == Survey.Status.OPEN
    assert dict(Question.objects.values_list("code", "id")) == ids
    assert set(Option.objects.values_list("id", flat=True)) == option_ids
    assert Question.objects.get(code="B1_nutzung").text == "Setzt Ihre Kommune Social Media ein?"
    assert Page.objects.get(code="P1").title == "Zu Ihrer Person"
    assert survey.definition_hash == definition_hash(validate_definition(data))


@pytest.mark.django_db
def test_kgst_fixture(kgst_survey):
    assert kgst_survey.is_open
    assert kgst_survey.pages.count() == 8


# --- refusal ---------------------------------------------------------------------------------

@pytest.fixture
def answered(db, make_invitation):
    """The KGSt survey with one response answering B1_nutzung, B2_zweck, C1_1 and A1_bereich (+ text)."""
    from responses.models import Answer, Response

    load(KGST)
    survey = Survey.objects.get()
    response = Response.objects.create(survey=survey, invitation=make_invitation(survey))
    q = {code: Question.objects.get(code=code) for code in ("B1_nutzung", "B2_zweck", "C1", "A1_bereich", "D1_extern")}
    Answer.objects.bulk_create([
        Answer(response=response, question=q["B1_nutzung"], variable="B1_nutzung", value="1"),
        Answer(response=response, question=q["B2_zweck"], variable="B2_zweck", value="2"),
        Answer(response=response, question=q["C1"], variable="C1_1", value="1"),
        Answer(response=response, question=q["A1_bereich"], variable="A1_bereich", value="6"),
        Answer(response=response, question=q["A1_bereich"], variable="A1_bereich_6_text", value="Kämmerei"),
        Answer(response=response, question=q["D1_extern"], variable="D1_extern", value="1"),
    ])
    return survey


def refused(tmp_path, data) -> str:
    before = snapshot()
    with pytest.raises(CommandError) as exc:
        load(write(tmp_path, data))
    assert snapshot() == before  # nothing written
    return str(exc.value)


def test_refuses_removing_an_answered_question(answered, tmp_path):
    data = kgst_data()
    data["pages"][1]["questions"] = [q for q in data["pages"][1]["questions"] if q["code"] != "B2_zweck"]
    data["pages"][2]["show_if"] = "B1_nutzung = 1"
    data["pages"][3]["show_if"] = "B1_nutzung = 1"
    message = refused(tmp_path, data)
    assert "B2_zweck: removed" in message
    assert "refused" in message


def test_refuses_type_change_option_and_row_removal(answered, tmp_path):
    data = kgst_data()
    b1 = question_def(data, "B1_nutzung")
    b1["options"] = b1["options"][:1]                                   # option 2 removed
    question_def(data, "G2_einfuehrung")["show_if"] = "not B1_nutzung = 1"
    d1 = question_def(data, "D1_extern")
    d1["type"] = "single"                                               # type changed
    for opt in d1["options"]:
        opt.pop("exclusive", None)
    question_def(data, "C1")["rows"].pop()                              # row C1_6 removed
    a1 = question_def(data, "A1_bereich")
    a1["options"][5]["other_text"] = False                              # other text removed
    f1 = question_def(data, "F1_hemmnisse")                             # not answered: may change
    f1["options"] = f1["options"][:3]
    message = refused(tmp_path, data)
    assert "B1_nutzung: option code '2' removed" in message
    assert "D1_extern: type changed from multi to single" in message
    assert "C1: row 'C1_6' removed" in message
    assert "A1_bereich: other text of option '6' removed (A1_bereich_6_text)" in message
    assert "F1_hemmnisse" not in message


def test_refuses_narrower_limits_and_new_exclusive(answered, tmp_path, make_invitation):
    from responses.models import Answer, Response

    other = Response.objects.create(survey=answered, invitation=make_invitation(answered))
    Answer.objects.create(response=other, question=Question.objects.get(code="A2_beschaeftigte"),
                          variable="A2_beschaeftigte", value="500")
    data = kgst_data()
    question_def(data, "A2_beschaeftigte")["max"] = 1000
    question_def(data, "B2_zweck")["options"][1]["exclusive"] = True
    message = refused(tmp_path, data)
    assert "A2_beschaeftigte: maximum lowered from 100000 to 1000" in message
    assert "B2_zweck: option '2' made exclusive" in message


def test_allows_wording_additions_and_changes_to_unanswered_questions(answered, tmp_path):
    data = kgst_data()
    question_def(data, "B1_nutzung")["text"] = "Neu formuliert?"
    question_def(data, "B1_nutzung")["options"].append({"code": "3", "label": "Weiß nicht"})
    question_def(data, "B2_zweck")["help"] = "Neue Hilfe"
    data["pages"][7]["questions"].append({"code": "H4_neu", "type": "text", "text": "Neue Frage", "max_length": 100})
    f1 = question_def(data, "F1_hemmnisse")
    f1["options"] = f1["options"][:3]                                   # unanswered: may shrink
    data["pages"][6]["questions"] = [q for q in data["pages"][6]["questions"] if q["code"] != "G2_einfuehrung"]
    b1_id = Question.objects.get(code="B1_nutzung").pk
    assert "updated (8 pages, 20 questions)" in load(write(tmp_path, data))
    assert Question.objects.get(code="B1_nutzung").pk == b1_id
    assert list(Question.objects.get(code="B1_nutzung").options.values_list("code", flat=True)) == ["1", "2", "3"]
    assert Question.objects.filter(code="H4_neu").exists()
    assert not Question.objects.filter(code="G2_einfuehrung").exists()
    assert list(Question.objects.get(code="F1_hemmnisse").options.values_list("code", flat=True)) == ["1", "2", "3"]
    assert answered.responses.get().answers.count() == 6


def test_allows_anything_without_answers(db, tmp_path):
    load(KGST)
    data = kgst_data()
    question_def(data, "D1_extern")["type"] = "single"
    for opt in question_def(data, "D1_extern")["options"]:
        opt.pop("exclusive", None)
    data["pages"] = [p for p in data["pages"] if p["code"] != "P6"]
    assert "updated (7 pages, 19 questions)" in load(write(tmp_path, data))
    assert not Page.objects.filter(code="P6").exists()
    assert Question.objects.get(code="D1_extern").type == "single"


def test_moving_and_reordering_questions_keeps_ids(db, tmp_path):
    load(KGST)
    ids = dict(Question.objects.values_list("code", "id"))
    data = kgst_data()
    h1 = data["pages"][7]["questions"].pop(0)
    data["pages"][5]["questions"].insert(0, h1)                         # H1 to page P6, first
    data["pages"][0]["questions"].reverse()
    load(write(tmp_path, data))
    assert dict(Question.objects.values_list("code", "id")) == ids
    assert Question.objects.get(code="H1_anmerkungen").page.code == "P6"
    assert list(Page.objects.get(code="P1").questions.order_by("position").values_list("code", flat=True)) == [
        "A2_beschaeftigte", "A1_bereich"]


# --- invalid files ---------------------------------------------------------------------------

def broken(tmp_path, data=None, text=None) -> str:
    path = tmp_path / "broken.yaml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    else:
        path = write(tmp_path, data, "broken.yaml")
    with pytest.raises(CommandError) as exc:
        load(path)
    assert not Survey.objects.exists()
    return str(exc.value)


@pytest.mark.django_db
def test_missing_file(tmp_path):
    assert "file not found" in broken_missing(tmp_path)


def broken_missing(tmp_path):
    with pytest.raises(CommandError) as exc:
        load(tmp_path / "nope.yaml")
    return str(exc.value)


@pytest.mark.django_db
def test_yaml_syntax_error(tmp_path):
    message = broken(tmp_path, text="slug: x\npages: [\n  - {code: P1\n")
    assert "YAML syntax error at line" in message


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["", "- a\n- b\n", "just text", "\x00\x01"])
def test_not_a_mapping(tmp_path, text):
    message = broken(tmp_path, text=text)
    assert "must contain a mapping" in message or "YAML syntax error" in message


@pytest.mark.django_db
def test_schema_error_names_the_path(tmp_path):
    data = kgst_data()
    data["pages"][2]["questions"][0]["type"] = "foo"
    message = broken(tmp_path, data)
    assert "pages[2].questions[0].type: 'foo' is not one of ['single', 'multi'" in message


@pytest.mark.django_db
def test_schema_errors_unknown_keys_and_missing_fields(tmp_path):
    data = kgst_data()
    data["pages"][0]["questions"][0]["colour"] = "red"
    del data["pages"][1]["questions"][0]["text"]
    data["title"] = 5
    message = broken(tmp_path, data)
    assert "pages[0].questions[0]: Additional properties are not allowed ('colour' was unexpected)" in message
    assert "pages[1].questions[0]: 'text' is a required property" in message
    assert "title: 5 is not of type 'string'" in message


@pytest.mark.django_db
def test_duplicate_codes(tmp_path):
    data = kgst_data()
    question_def(data, "B3_dauer")["code"] = "B1_nutzung"
    question_def(data, "A1_bereich")["options"][1]["code"] = "1"
    data["pages"][7]["code"] = "P1"
    question_def(data, "H1_anmerkungen")["code"] = "C1_3"          # collides with a matrix row
    message = broken(tmp_path, data)
    assert "duplicate code 'B1_nutzung'" in message
    assert "(A1_bereich): duplicate option code '1'" in message
    assert "pages[7].code: duplicate page code 'P1'" in message
    assert "duplicate code 'C1_3' (already used by C1)" in message


@pytest.mark.django_db
def test_type_specific_rules(tmp_path):
    data = kgst_data()
    question_def(data, "H1_anmerkungen")["options"] = [{"code": "1", "label": "x"}]
    question_def(data, "B3_dauer")["options"][0]["exclusive"] = True
    question_def(data, "B1_nutzung")["min"] = 1
    question_def(data, "H2_ergebnisse")["max_length"] = 5
    del question_def(data, "C1")["rows"]
    question_def(data, "A2_beschaeftigte")["min"] = 10
    question_def(data, "A2_beschaeftigte")["max"] = 5
    del question_def(data, "E1_strategie")["options"]
    message = broken(tmp_path, data)
    assert "(H1_anmerkungen): a textarea question does not take options" in message
    assert "(B3_dauer): option '1' is exclusive, but only multi questions take exclusive options" in message
    assert "(B1_nutzung): min/max are only allowed on number questions" in message
    assert "(H2_ergebnisse): max_length is only allowed on text and textarea questions" in message
    assert "(C1): a matrix question needs rows" in message
    assert "(A2_beschaeftigte): min (10) is greater than max (5)" in message
    assert "(E1_strategie): a single question needs options" in message


@pytest.mark.django_db
def test_condition_syntax_error_with_code_and_position(tmp_path):
    data = kgst_data()
    question_def(data, "B3_dauer")["show_if"] = "B1_nutzung = = 1"
    message = broken(tmp_path, data)
    assert "B3_dauer: condition 'B1_nutzung = = 1' at position 13: expected a value" in message


@pytest.mark.django_db
def test_condition_unknown_later_and_same_page_references(tmp_path):
    data = kgst_data()
    question_def(data, "B3_dauer")["show_if"] = "X1 = 1"
    data["pages"][2]["show_if"] = "D1_extern contains 1"                # P3 refers to P4
    question_def(data, "B2_zweck")["show_if"] = "B3_dauer = 1"          # later on the same page
    data["pages"][1]["show_if"] = "B1_nutzung = 1"                      # a page refers to its own question
    question_def(data, "G1_ausbau")["show_if"] = "B1_nutzung = 3"       # not an option code
    question_def(data, "G2_einfuehrung")["show_if"] = "C1 = 1"          # matrix: use rows
    message = broken(tmp_path, data)
    assert "B3_dauer: condition 'X1 = 1' at position 0: unknown variable 'X1'" in message
    assert "page P3: condition 'D1_extern contains 1' at position 0: 'D1_extern' is not asked on an earlier page" \
        in message
    assert "B2_zweck: condition 'B3_dauer = 1' at position 0: 'B3_dauer' is not asked before this question" \
        in message
    assert "page P2: condition 'B1_nutzung = 1' at position 0: 'B1_nutzung' is not asked on an earlier page" \
        in message
    assert "G1_ausbau: condition 'B1_nutzung = 3' at position 0: '3' is not an option code of B1_nutzung" in message
    assert "G2_einfuehrung: condition 'C1 = 1' at position 0: 'C1' is a matrix question" in message


@pytest.mark.django_db
def test_condition_operator_must_fit_the_type(tmp_path):
    data = kgst_data()
    question_def(data, "B3_dauer")["show_if"] = "B1_nutzung contains 1"
    question_def(data, "C2_ziele_intern")["show_if"] = "B2_zweck = 1"
    message = broken(tmp_path, data)
    assert "'contains' needs a multiple choice variable; 'B1_nutzung' is single" in message
    assert "'B2_zweck' is multiple choice: use 'contains' instead of '='" in message


@pytest.mark.django_db
def test_hostile_condition_in_a_file(tmp_path):
    data = kgst_data()
    question_def(data, "B3_dauer")["show_if"] = "(" * 200 + "B1_nutzung = 1" + ")" * 200
    question_def(data, "G1_ausbau")["show_if"] = "__import__('os').system('id')"
    message = broken(tmp_path, data)
    assert "B3_dauer: condition" in message and "at position 50: condition is too deeply nested" in message
    assert ("G1_ausbau: condition \"__import__('os').system('id')\" at position 0: "
            "unknown variable '__import__'") in message


@pytest.mark.django_db
def test_overlong_condition_is_a_schema_error(tmp_path):
    data = kgst_data()
    question_def(data, "B3_dauer")["show_if"] = " or ".join(["B1_nutzung = 1"] * 200)
    assert "pages[1].questions[2].show_if: " in broken(tmp_path, data)


@pytest.mark.django_db
def test_yaml_alias_bomb_is_refused(tmp_path):
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    text = "\n".join(lines) + "\nslug: bomb\ntitle: x\npages: *a8\n"
    assert "too large" in broken(tmp_path, text=text)


@pytest.mark.django_db
@pytest.mark.parametrize("pages", [5, "text", {"code": "P1"}, [5], [{"questions": 7}],
                                   [{"questions": [{"options": 3}]}]])
def test_odd_shapes_are_schema_errors_not_crashes(tmp_path, pages):
    message = broken(tmp_path, {"slug": "odd", "title": "Odd", "pages": pages})
    assert "pages" in message


@pytest.mark.django_db
def test_reserved_word_as_code(tmp_path):
    data = kgst_data()
    question_def(data, "H1_anmerkungen")["code"] = "answered"
    assert "'answered' is a reserved word" in broken(tmp_path, data)


@pytest.mark.django_db
def test_command_exit_status_is_non_zero(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "bad.yaml"
    path.write_text("slug: [\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "manage.py", "load_survey", str(path)], cwd=KGST.parents[2],
                            capture_output=True, text=True, env={**__import__("os").environ, "DEBUG": "1"})
    assert result.returncode != 0
    assert "YAML syntax error" in result.stderr


def test_definition_is_json_and_hash_is_stable():
    data = validate_definition(kgst_data())
    assert data["field_period"] == {"opens": "2013-06-03", "closes": "2013-08-30"}
    assert definition_hash(data) == definition_hash(copy.deepcopy(data))
    changed = copy.deepcopy(data)
    changed["title"] = "x"
    assert definition_hash(changed) != definition_hash(data)
