"""The questionnaire editor: forms, checks, the rules once answers exist, the change history, the cache."""

from __future__ import annotations

import copy

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from harness.editor import question_post
from surveys.definition.canonical import canonical
from surveys.definition.export import export_definition
from surveys.definition.read import read_definition
from surveys.definition.sync import EDIT_MARK, definition_hash, sync_survey
from surveys.definition.validate import validate_definition
from surveys.models import Option, Page, Question, Survey, SurveyChange
from surveys.structure import get_structure
from tests.conftest import KGST_DEFINITION

pytestmark = pytest.mark.django_db


def url(name: str, survey: Survey, **kwargs) -> str:
    return reverse(f"staff:{name}", kwargs={"slug": survey.slug, **kwargs})


@pytest.fixture
def empty_survey(db) -> Survey:
    return Survey.objects.create(slug="neu-2026", title="Neue Befragung")


def qdef_of(survey: Survey, code: str) -> dict:
    return next(q for p in export_definition(survey)["pages"] for q in p["questions"] if q["code"] == code)


def errors_of(response) -> str:
    assert response.status_code == 200, response.status_code
    text = response.content.decode()
    assert 'id="error-summary"' in text
    return text


@pytest.fixture
def answered(kgst_survey, make_invitation) -> Survey:
    from responses.models import Answer, Response

    response = Response.objects.create(survey=kgst_survey, invitation=make_invitation(kgst_survey))
    b1 = Question.objects.get(code="B1_nutzung")
    c1 = Question.objects.get(code="C1")
    Answer.objects.bulk_create([
        Answer(response=response, question=b1, variable="B1_nutzung", value="1"),
        Answer(response=response, question=c1, variable="C1_1", value="1"),
    ])
    return kgst_survey


# --- the definition in the tables ---------------------------------------------------------------


def test_tables_give_back_the_loaded_definition(kgst_survey):
    """The tables read back give the loaded definition (canonical form): "unchanged" keeps working after edits."""
    loaded = validate_definition(read_definition(KGST_DEFINITION))
    assert export_definition(kgst_survey) == canonical(loaded)
    assert definition_hash(loaded) == kgst_survey.definition_hash


def test_english_wording_loads_from_a_definition(db):
    data = read_definition(KGST_DEFINITION)
    page = data["pages"][0]
    page["title_en"] = "About you"
    page["questions"][0]["text_en"] = "In which area do you work?"
    page["questions"][0]["options"][0]["label_en"] = "Management"
    survey = sync_survey(validate_definition(data)).survey
    question = Question.objects.get(survey=survey, code="A1_bereich")
    assert (question.page.title_en, question.text_en) == ("About you", "In which area do you work?")
    assert question.options.get(code="1").label_en == "Management"
    assert export_definition(survey) == canonical(validate_definition(data))


# --- building a questionnaire -------------------------------------------------------------------


def test_staff_builds_pages_and_questions(staff_client, staff_user, empty_survey):
    response = staff_client.post(url("editor_page_create", empty_survey), {
        "code": "P1", "title": "Allgemeines", "title_en": "General", "intro": "", "intro_en": "", "condition": ""})
    page = Page.objects.get(survey=empty_survey)
    assert response.status_code == 302 and response["Location"] == url("editor_page", empty_survey, page_id=page.pk)
    before_hash = Survey.objects.get(pk=empty_survey.pk).definition_hash
    qdef = {"code": "B1_nutzung", "type": "single", "text": "Nutzen Sie Social Media?", "text_en": "Do you?",
            "required": True, "options": [{"code": "1", "label": "Ja", "label_en": "Yes"},
                                          {"code": "2", "label": "Nein"}]}
    response = staff_client.post(url("editor_question_create", empty_survey, page_id=page.pk),
                                 question_post(qdef, page.pk, extra=2))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert qdef_of(empty_survey, "B1_nutzung") == qdef
    second = {"code": "B2_zweck", "type": "multi", "text": "Wofür?", "show_if": "B1_nutzung = 1",
              "options": [{"code": "2", "label": "Extern"}, {"code": "1", "label": "Intern"},
                          {"code": "9", "label": "Keine", "exclusive": True}]}
    assert staff_client.post(url("editor_question_create", empty_survey, page_id=page.pk),
                             question_post(second, page.pk)).status_code == 302
    survey = Survey.objects.get(pk=empty_survey.pk)
    # every edit gives a new version token (the structure caches' key), without hashing the whole definition
    assert survey.definition_hash.startswith(EDIT_MARK) and survey.definition_hash != before_hash
    assert [c.target for c in SurveyChange.objects.filter(survey=survey).order_by("at", "pk")] == [
        "Seite P1", "Frage B1_nutzung", "Frage B2_zweck"]
    change = SurveyChange.objects.get(target="Frage B1_nutzung")
    assert (change.user, change.action, change.before, change.after) == (staff_user, "created", {}, qdef)
    # the result is a definition load_survey accepts, and loading it again changes nothing
    assert sync_survey(validate_definition(export_definition(survey))).action == "unchanged"


def test_options_reordered_relabelled_removed_and_added(staff_client, kgst_survey):
    question = Question.objects.get(code="B3_dauer")
    kept_ids = dict(question.options.values_list("code", "pk"))
    qdef = qdef_of(kgst_survey, "B3_dauer")
    qdef["options"] = [qdef["options"][2], {"code": "1", "label": "kürzer als ein Jahr"},
                       {"code": "4", "label": "weiß nicht"}]
    response = staff_client.post(url("editor_question", kgst_survey, question_id=question.pk),
                                 question_post(qdef, question.page_id))
    assert response.status_code == 302
    assert list(question.options.order_by("position").values_list("code", "label")) == [
        ("3", "seit mehr als 24 Monaten"), ("1", "kürzer als ein Jahr"), ("4", "weiß nicht")]
    assert Option.objects.get(question=question, code="1").pk == kept_ids["1"]  # kept options keep their ids


def test_delete_line_and_position_column(staff_client, kgst_survey):
    question = Question.objects.get(code="B3_dauer")
    data = question_post(qdef_of(kgst_survey, "B3_dauer"), question.page_id)
    data.update({"optionen-0-ORDER": "3", "optionen-2-ORDER": "1", "optionen-1-DELETE": "on"})
    assert staff_client.post(url("editor_question", kgst_survey, question_id=question.pk), data).status_code == 302
    assert list(question.options.order_by("position").values_list("code", flat=True)) == ["3", "1"]


def test_more_lines_button_saves_nothing(staff_client, kgst_survey):
    question = Question.objects.get(code="B3_dauer")
    data = question_post(qdef_of(kgst_survey, "B3_dauer") | {"text": "Geändert?"}, question.page_id,
                         action="mehr_zeilen")
    response = staff_client.post(url("editor_question", kgst_survey, question_id=question.pk), data)
    assert response.status_code == 200
    assert response.content.decode().count('name="optionen-') >= 5 * (3 + 5)
    question.refresh_from_db()
    assert question.text == "Seit wann nutzt Ihre Kommune Social Media?"


@pytest.mark.parametrize("change, message", [
    ({"code": "1abc"}, "Ein Code beginnt mit einem Buchstaben"),
    ({"code": "B1_nutzung"}, "Der Code „B1_nutzung“ ist in dieser Befragung schon vergeben"),
    ({"code": "C1_2"}, "Der Code „C1_2“ ist in dieser Befragung schon vergeben"),
    ({"code": "and"}, "Schlüsselwort"),
    ({"show_if": "B1_nutzung = = 1"}, "Die Bedingung ist an Position 14 nicht lesbar"),
    ({"show_if": "B1_nutzung = 7"}, "„7“ an Position 1 ist kein Optionscode von B1_nutzung"),
    ({"show_if": "H2_ergebnisse = 1"}, "„H2_ergebnisse“ an Position 1 wird nicht vor dieser Frage gefragt"),
    ({"options": []}, "mindestens eine Antwortoption"),
    ({"options": [{"code": "1", "label": "a"}, {"code": "1", "label": "b"}]}, "kommt in dieser Frage zweimal vor"),
    ({"options": [{"code": "1 2", "label": "a"}]}, "Ein Optionscode enthält nur"),
])
def test_bad_input_explained_and_nothing_stored(staff_client, kgst_survey, change, message):
    question = Question.objects.get(code="B3_dauer")
    before = (export_definition(kgst_survey), SurveyChange.objects.count(),
              Survey.objects.get(pk=kgst_survey.pk).definition_hash)
    qdef = qdef_of(kgst_survey, "B3_dauer") | change
    response = staff_client.post(url("editor_question", kgst_survey, question_id=question.pk),
                                 question_post(qdef, question.page_id))
    assert message in errors_of(response)
    assert before == (export_definition(kgst_survey), SurveyChange.objects.count(),
                      Survey.objects.get(pk=kgst_survey.pk).definition_hash)


def test_number_limits(staff_client, kgst_survey):
    question = Question.objects.get(code="A2_beschaeftigte")
    qdef = qdef_of(kgst_survey, "A2_beschaeftigte") | {"min": 10, "max": 5}
    response = staff_client.post(url("editor_question", kgst_survey, question_id=question.pk),
                                 question_post(qdef, question.page_id))
    assert "Der größte Wert darf nicht kleiner als der kleinste sein" in errors_of(response)
    qdef |= {"min": 0, "max": 200000}
    assert staff_client.post(url("editor_question", kgst_survey, question_id=question.pk),
                             question_post(qdef, question.page_id)).status_code == 302
    question.refresh_from_db()
    assert (question.min_value, question.max_value) == (0, 200000)


def test_change_breaking_a_later_condition_is_refused(staff_client, kgst_survey):
    """B2_zweck's option 1 is named by page P3's condition: removing it is refused, with the reason."""
    question = Question.objects.get(code="B2_zweck")
    qdef = qdef_of(kgst_survey, "B2_zweck")
    qdef["options"] = qdef["options"][1:]
    response = staff_client.post(url("editor_question", kgst_survey, question_id=question.pk),
                                 question_post(qdef, question.page_id))
    assert "ungültig machen" in errors_of(response) and "Seite P3" in response.content.decode()
    assert question.options.count() == 2


def test_page_moves_and_condition_order(staff_client, kgst_survey):
    p3, p5 = Page.objects.get(code="P3"), Page.objects.get(code="P5")
    response = staff_client.post(url("editor_page_move", kgst_survey, page_id=p3.pk), {"richtung": "hoch"},
                                 follow=True)
    assert "B2_zweck" in response.content.decode() and "ungültig machen" in response.content.decode()
    assert Page.objects.get(pk=p3.pk).position == 3
    staff_client.post(url("editor_page_move", kgst_survey, page_id=p5.pk), {"richtung": "hoch"})
    assert list(kgst_survey.pages.order_by("position").values_list("code", flat=True)) == [
        "P1", "P2", "P3", "P5", "P4", "P6", "P7", "P8"]
    assert export_definition(kgst_survey)["pages"][3]["code"] == "P5"
    change = SurveyChange.objects.get(target="Seite P5")
    assert (change.before, change.after) == ({"position": 5}, {"position": 4})


def test_question_move_and_delete(staff_client, kgst_survey):
    d3, d4 = Question.objects.get(code="D3_reaktionszeit_festgelegt"), Question.objects.get(code="D4_reaktionszeit")
    staff_client.post(url("editor_question_move", kgst_survey, question_id=d4.pk), {"richtung": "hoch"})
    assert list(d3.page.questions.order_by("position").values_list("code", flat=True)) == [
        "D1_extern", "D2_ziele_extern", "D4_reaktionszeit", "D3_reaktionszeit_festgelegt"]
    assert staff_client.get(url("editor_question_delete", kgst_survey, question_id=d3.pk)).status_code == 200
    assert staff_client.post(url("editor_question_delete", kgst_survey, question_id=d3.pk)).status_code == 302
    assert list(d4.page.questions.order_by("position").values_list("code", "position")) == [
        ("D1_extern", 1), ("D2_ziele_extern", 2), ("D4_reaktionszeit", 3)]
    assert SurveyChange.objects.get(target="Frage D3_reaktionszeit_festgelegt").action == "deleted"


def test_deleting_a_page_others_depend_on_is_refused(staff_client, kgst_survey):
    p2 = Page.objects.get(code="P2")
    response = staff_client.post(url("editor_page_delete", kgst_survey, page_id=p2.pk))
    assert response.status_code == 200 and "B1_nutzung" in response.content.decode()
    assert Page.objects.filter(pk=p2.pk).exists()
    p8 = Page.objects.get(code="P8")
    assert staff_client.post(url("editor_page_delete", kgst_survey, page_id=p8.pk)).status_code == 302
    assert not Page.objects.filter(pk=p8.pk).exists()


def test_page_form_and_condition_position(staff_client, kgst_survey):
    p3 = Page.objects.get(code="P3")
    data = {"code": "P3", "title": "Intern", "title_en": "Internal use", "intro": "", "intro_en": "",
            "condition": "B2_zweck contains 1 and C2_ziele_intern = 1"}
    response = staff_client.post(url("editor_page_edit", kgst_survey, page_id=p3.pk), data)
    assert "„C2_ziele_intern“ an Position 25 wird nicht auf einer früheren Seite gefragt" in errors_of(response)
    data["condition"] = "B2_zweck contains 1"
    assert staff_client.post(url("editor_page_edit", kgst_survey, page_id=p3.pk), data).status_code == 302
    p3.refresh_from_db()
    assert (p3.title, p3.title_en) == ("Intern", "Internal use")
    response = staff_client.post(url("editor_page_edit", kgst_survey, page_id=p3.pk), data | {"code": "P2"})
    assert "Eine andere Seite hat bereits den Code „P2“" in errors_of(response)


# --- once answers exist ---------------------------------------------------------------------------


def test_wording_may_change_after_answers(staff_client, answered):
    question = Question.objects.get(code="B1_nutzung")
    qdef = qdef_of(answered, "B1_nutzung")
    qdef["text"] = "Nutzt Ihre Kommune Social Media?"
    qdef["options"][0]["label"] = "Ja, bereits"
    assert staff_client.post(url("editor_question", answered, question_id=question.pk),
                             question_post(qdef, question.page_id)).status_code == 302
    assert qdef_of(answered, "B1_nutzung") == qdef


@pytest.mark.parametrize("change, message", [
    (lambda q: q["options"].pop(), "Die Antwortoption mit dem Code 2"),
    (lambda q: q["options"][1].update(code="3"), "Die Antwortoption mit dem Code 2"),
    (lambda q: q.update(type="multi"), "Der Fragetyp kann nicht mehr geändert werden"),
    (lambda q: q.update(code="B1_neu"), "Der Code B1_nutzung kann nicht mehr geändert werden"),
])
def test_answered_codes_may_not_change(staff_client, answered, change, message):
    question = Question.objects.get(code="B1_nutzung")
    qdef = copy.deepcopy(qdef_of(answered, "B1_nutzung"))
    change(qdef)
    before = export_definition(answered)
    response = staff_client.post(url("editor_question", answered, question_id=question.pk),
                                 question_post(qdef, question.page_id))
    assert message in errors_of(response)
    assert export_definition(answered) == before


def test_answered_matrix_row_may_not_go(staff_client, answered):
    question = Question.objects.get(code="C1")
    qdef = qdef_of(answered, "C1")
    qdef["rows"] = qdef["rows"][1:]
    response = staff_client.post(url("editor_question", answered, question_id=question.pk),
                                 question_post(qdef, question.page_id))
    assert "Die Zeile mit dem Code C1_1" in errors_of(response)


def test_answered_question_and_its_page_may_not_be_deleted(staff_client, answered):
    question = Question.objects.get(code="B1_nutzung")
    response = staff_client.post(url("editor_question_delete", answered, question_id=question.pk))
    assert "hat bereits Antworten" in response.content.decode()
    response = staff_client.post(url("editor_page_delete", answered, page_id=question.page_id))
    assert "B1_nutzung" in response.content.decode()
    assert Question.objects.filter(pk=question.pk).exists()


def test_optional_question_may_be_added_after_answers(staff_client, answered):
    page = Page.objects.get(code="P2")
    qdef = {"code": "B4_plattform", "type": "text", "text": "Welche Plattform zuerst?", "max_length": 200}
    assert staff_client.post(url("editor_question_create", answered, page_id=page.pk),
                             question_post(qdef, page.pk)).status_code == 302
    assert qdef_of(answered, "B4_plattform") == qdef


# --- history, cache, load_survey -------------------------------------------------------------------


def test_history_is_paged_and_readable_by_analysts(analyst_client, kgst_survey, staff_user):
    for i in range(60):
        SurveyChange.record(kgst_survey, staff_user, f"Frage X{i}", {"text": "alt"}, {"text": f"neu {i}"})
    first = analyst_client.get(url("editor_history", kgst_survey)).content.decode()
    assert "Frage X59" in first and "Frage X0 " not in first and "neu 59" in first and "staff" in first
    second = analyst_client.get(url("editor_history", kgst_survey) + "?seite=2").content.decode()
    assert "Frage X0 " in second


def test_analyst_reads_but_cannot_change(analyst_client, kgst_survey):
    page = Page.objects.get(code="P2")
    assert analyst_client.get(url("editor", kgst_survey)).status_code == 200
    text = analyst_client.get(url("editor_page", kgst_survey, page_id=page.pk)).content.decode()
    assert "B1_nutzung" in text and "nach oben" not in text and "Bearbeiten" not in text
    assert analyst_client.post(url("editor_page_move", kgst_survey, page_id=page.pk),
                               {"richtung": "hoch"}).status_code == 403


def test_structure_cache_sees_the_edit(staff_client, kgst_survey):
    """Another process holds the structure in its cache: the edit changes the hash it is keyed by."""
    old = get_structure(Survey.objects.get(pk=kgst_survey.pk))
    question = Question.objects.get(code="B1_nutzung")
    qdef = qdef_of(kgst_survey, "B1_nutzung") | {"text": "Neuer Wortlaut?"}
    staff_client.post(url("editor_question", kgst_survey, question_id=question.pk),
                      question_post(qdef, question.page_id))
    fresh = get_structure(Survey.objects.get(pk=kgst_survey.pk))
    assert old.question("B1_nutzung").text != "Neuer Wortlaut?"
    assert fresh.question("B1_nutzung").text == "Neuer Wortlaut?"


def test_load_survey_after_an_edit(staff_client, kgst_survey, capsys):
    question = Question.objects.get(code="B1_nutzung")
    qdef = qdef_of(kgst_survey, "B1_nutzung") | {"text": "Neuer Wortlaut?"}
    staff_client.post(url("editor_question", kgst_survey, question_id=question.pk),
                      question_post(qdef, question.page_id))
    call_command("load_survey", KGST_DEFINITION)  # the file differs from the edited survey: it is loaded again
    assert "updated" in capsys.readouterr().out
    call_command("load_survey", KGST_DEFINITION)
    assert "unchanged" in capsys.readouterr().out
    assert Question.objects.get(code="B1_nutzung").text.startswith("Nutzt Ihre Kommune")


def _generated(slug: str, n_pages: int, per_page: int) -> Survey:
    from harness.editor import generated_definition

    return sync_survey(validate_definition(generated_definition(slug, n_pages, per_page))).survey


def test_editor_queries_do_not_grow_with_the_survey(staff_client):
    small, large = _generated("klein", 3, 4), _generated("gross", 30, 10)

    def counts(survey: Survey) -> list[int]:
        page = survey.pages.order_by("position")[1]
        question = page.questions.order_by("position")[1]
        requests = [("get", url("editor", survey), None),
                    ("get", url("editor_page", survey, page_id=page.pk), None),
                    ("get", url("editor_question", survey, question_id=question.pk), None),
                    ("post", url("editor_question", survey, question_id=question.pk),
                     question_post(qdef_of(survey, question.code) | {"text": "Neu?"}, page.pk))]
        out = []
        for method, address, data in requests:
            with CaptureQueriesContext(connection) as ctx:
                response = getattr(staff_client, method)(address, data) if data else staff_client.get(address)
            assert response.status_code in (200, 302)
            out.append(len(ctx.captured_queries))
        return out

    assert counts(small) == counts(large)


def test_respondent_sees_english_wording_where_it_exists(staff_client, kgst_survey, make_invitation, client):
    """Edited English wording reaches the respondent's English interface; the rest stays German, marked so."""
    page = Page.objects.get(code="P1")
    staff_client.post(url("editor_page_edit", kgst_survey, page_id=page.pk), {
        "code": "P1", "title": page.title, "title_en": "About you and your administration", "intro": page.intro,
        "intro_en": "", "condition": ""})
    question = Question.objects.get(code="A1_bereich")
    qdef = qdef_of(kgst_survey, "A1_bereich") | {"text_en": "Which area of your administration do you work in?"}
    qdef["options"][1]["label_en"] = "Press and public relations"
    assert staff_client.post(url("editor_question", kgst_survey, question_id=question.pk),
                             question_post(qdef, page.pk)).status_code == 302
    invitation = make_invitation(kgst_survey)
    client.cookies["django_language"] = "en"
    html = client.get(f"/s/{invitation.token}/seite/P1/").content.decode()
    assert "<h1>About you and your administration</h1>" in html
    assert "<span>Which area of your administration do you work in?</span>" in html
    assert "Press and public relations" in html and "IT / Organisation" in html  # untranslated label: German
    assert 'lang="de">Wie viele Beschäftigte' in html  # a question without English wording, marked German
    client.cookies["django_language"] = "de"
    html = client.get(f"/s/{invitation.token}/seite/P1/").content.decode()
    assert "In welchem Bereich Ihrer Verwaltung" in html and "Which area" not in html


def test_type_change_to_a_choice_type_asks_for_options_first(staff_client, kgst_survey):
    question = Question.objects.get(code="H1_anmerkungen")
    data = question_post(qdef_of(kgst_survey, "H1_anmerkungen") | {"type": "single"}, question.page_id)
    response = staff_client.post(url("editor_question", kgst_survey, question_id=question.pk), data)
    assert "braucht Antwortoptionen" in errors_of(response)
    assert 'name="optionen-0-code"' in response.content.decode()
    assert Question.objects.get(pk=question.pk).type == "textarea"
    data.update({"optionen-TOTAL_FORMS": "1", "optionen-INITIAL_FORMS": "0", "optionen-0-code": "1",
                 "optionen-0-label": "Ja", "optionen-0-ORDER": "1"})
    assert staff_client.post(url("editor_question", kgst_survey, question_id=question.pk), data).status_code == 302
    assert qdef_of(kgst_survey, "H1_anmerkungen")["options"] == [{"code": "1", "label": "Ja"}]
    assert "max_length" not in qdef_of(kgst_survey, "H1_anmerkungen")


# --- the live check of codes and conditions (static/js/editor-checks.js asks it) ---------------------


@pytest.mark.parametrize("params, ok, message", [
    ({"art": "frage", "wert": "B1_nutzung"}, False, "Der Code „B1_nutzung“ ist in dieser Befragung schon vergeben"),
    ({"art": "frage", "wert": "C1_2"}, False, "schon vergeben (Frage C1)"),  # a matrix row of another question
    ({"art": "frage", "wert": "1abc"}, False, "Ein Code beginnt mit einem Buchstaben"),
    ({"art": "frage", "wert": "and"}, False, "Schlüsselwort"),
    ({"art": "frage", "wert": "B3_neu"}, True, ""),
    ({"art": "frage", "wert": "B3_dauer"}, True, ""),  # its own code
    ({"art": "zeile", "wert": "B1_nutzung"}, False, "schon vergeben"),
    ({"art": "option", "wert": "1 2"}, False, "Ein Optionscode enthält nur"),
    ({"art": "option", "wert": "99"}, True, ""),
    ({"art": "seite", "wert": "P1"}, False, "Eine andere Seite hat bereits den Code „P1“"),
    ({"art": "seite", "wert": "P2"}, True, ""),  # the page of B3_dauer, whose form asks
    ({"art": "bedingung", "wert": "B1_nutzung = = 1"}, False, "an Position 14 nicht lesbar"),
    ({"art": "bedingung", "wert": "B1_nutzung = 7"}, False, "„7“ an Position 1 ist kein Optionscode von B1_nutzung"),
    ({"art": "bedingung", "wert": "H2_ergebnisse = 1"}, False, "wird nicht vor dieser Frage gefragt"),
    ({"art": "bedingung", "wert": "B3_dauer = 1"}, False, "wird nicht vor dieser Frage gefragt"),  # itself
    ({"art": "bedingung", "wert": "B1_nutzung = 1"}, True, ""),
    ({"art": "seitenbedingung", "wert": "B3_dauer = 1"}, False, "nicht auf einer früheren Seite gefragt"),
])
def test_live_check_gives_the_messages_of_a_save(staff_client, kgst_survey, params, ok, message):
    question = Question.objects.get(code="B3_dauer")
    before = SurveyChange.objects.count(), Survey.objects.get(pk=kgst_survey.pk).definition_hash
    response = staff_client.get(url("editor_check", kgst_survey),
                                {"frage": question.pk, "seite": question.page_id, **params})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    answer = response.json()
    assert answer["ok"] is ok and (message in " ".join(answer["messages"])) and bool(answer["messages"]) != ok
    assert before == (SurveyChange.objects.count(), Survey.objects.get(pk=kgst_survey.pk).definition_hash)


def test_live_check_for_a_new_question_and_its_queries_do_not_grow(staff_client, kgst_survey):
    page = Page.objects.get(code="P2")
    answer = staff_client.get(url("editor_check", kgst_survey), {"art": "frage", "wert": "B3_dauer",
                                                                  "seite": page.pk}).json()
    assert not answer["ok"] and "Frage B3_dauer" in answer["messages"][0]
    assert staff_client.get(url("editor_check", kgst_survey), {"art": "bedingung", "wert": "B3_dauer = 1",
                                                                "seite": page.pk}).json()["ok"]
    assert staff_client.get(url("editor_check", kgst_survey), {"art": "unbekannt"}).json() == {
        "ok": True, "messages": []}
    big = _generated("gross", 30, 10)
    counts = []
    for survey, code in ((kgst_survey, "B1_nutzung"), (big, "Q20_1")):
        with CaptureQueriesContext(connection) as ctx:
            staff_client.get(url("editor_check", survey), {"art": "frage", "wert": code})
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
