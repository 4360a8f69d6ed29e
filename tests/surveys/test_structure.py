"""SurveyStructure: immutable shape of a survey, cached, and the visibility rules."""

import dataclasses

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from surveys.models import Question, Survey
from surveys.structure import clear_cache, get_structure

NON_USER = {"B1_nutzung": "2"}
EXTERNAL_USER = {"B1_nutzung": "1", "B2_zweck": ["2"]}
INTERNAL_USER = {"B1_nutzung": "1", "B2_zweck": ["1"]}
BOTH = {"B1_nutzung": "1", "B2_zweck": ["1", "2"]}


@pytest.fixture
def structure(kgst_survey):
    clear_cache()
    return get_structure(kgst_survey)


def codes(pages):
    return [p.code for p in pages]


@pytest.mark.parametrize(("answers", "expected"), [
    (NON_USER, ["P1", "P2", "P6", "P7", "P8"]),
    (EXTERNAL_USER, ["P1", "P2", "P4", "P5", "P6", "P7", "P8"]),
    (INTERNAL_USER, ["P1", "P2", "P3", "P5", "P6", "P7", "P8"]),
    (BOTH, ["P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8"]),
    ({}, ["P1", "P2", "P6", "P7", "P8"]),
])
def test_visible_pages(structure, answers, expected):
    assert codes(structure.visible_pages(answers)) == expected


def test_left_over_answers_of_hidden_questions_do_not_count(structure):
    # B2_zweck was answered, then B1_nutzung changed to "Nein": B2_zweck is hidden, so P3/P4 are too
    answers = {"B1_nutzung": "2", "B2_zweck": ["1", "2"]}
    assert codes(structure.visible_pages(answers)) == ["P1", "P2", "P6", "P7", "P8"]
    assert not structure.is_question_shown("B2_zweck", answers)
    assert structure.effective_answers(answers) == {"B1_nutzung": "2"}


def test_is_question_shown(structure):
    assert structure.is_question_shown("H3_email", {"H2_ergebnisse": "1"})
    assert not structure.is_question_shown("H3_email", {"H2_ergebnisse": "2"})
    assert not structure.is_question_shown("H3_email", {})
    assert structure.is_question_shown("G1_ausbau", EXTERNAL_USER)
    assert not structure.is_question_shown("G2_einfuehrung", EXTERNAL_USER)
    assert structure.is_question_shown("G2_einfuehrung", NON_USER)
    assert structure.is_question_shown(structure.question("A1_bereich"), {})
    # page hidden → question hidden even without its own condition
    assert not structure.is_question_shown("D1_extern", INTERNAL_USER)
    assert structure.is_question_shown("D1_extern", EXTERNAL_USER)
    assert structure.is_page_shown("P5", EXTERNAL_USER)
    assert not structure.is_page_shown(structure.page("P5"), NON_USER)


def test_shown_questions_and_navigation(structure):
    shown = [q.code for q in structure.shown_questions(NON_USER)]
    assert shown == ["A1_bereich", "A2_beschaeftigte", "B1_nutzung", "F1_hemmnisse", "G2_einfuehrung",
                     "H1_anmerkungen", "H2_ergebnisse"]
    assert structure.next_page("P2", NON_USER).code == "P6"
    assert structure.next_page("P2", EXTERNAL_USER).code == "P4"
    assert structure.previous_page("P6", NON_USER).code == "P2"
    assert structure.next_page("P8", NON_USER) is None
    assert structure.previous_page("P1", NON_USER) is None


def test_definitions(structure, kgst_survey):
    assert codes(structure.pages) == ["P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8"]
    assert [p.position for p in structure.pages] == list(range(1, 9))
    assert structure.page("P1").intro.startswith("Vielen Dank")
    assert structure.page("P3").condition == "B2_zweck contains 1"
    a1 = structure.question("A1_bereich")
    assert a1.id == Question.objects.get(code="A1_bereich").pk
    assert a1.option("6").has_text and a1.option("6").text_variable == "A1_bereich_6_text"
    assert a1.option("1").text_variable is None
    assert a1.variables == ("A1_bereich", "A1_bereich_6_text")
    assert structure.question("C1").variables == tuple(f"C1_{i}" for i in range(1, 7))
    assert [o.code for o in structure.question("C1").options] == ["1", "2", "3"]
    assert structure.question("F1_hemmnisse").option("8").exclusive
    assert (structure.question("A2_beschaeftigte").min_value, structure.question("A2_beschaeftigte").max_value) == (
        1, 100000)
    assert structure.question("H3_email").required and structure.question("H3_email").condition == "H2_ergebnisse = 1"
    assert structure.question_for_variable("C1_3").code == "C1"
    assert structure.question_for_variable("D1_extern_7_text").code == "D1_extern"
    assert structure.question_for_variable("nope") is None
    assert len(structure.variables) == 28
    with pytest.raises(KeyError):
        structure.page("P9")


def test_immutable(structure):
    with pytest.raises(dataclasses.FrozenInstanceError):
        structure.pages[0].title = "x"
    with pytest.raises(dataclasses.FrozenInstanceError):
        structure.question("B1_nutzung").required = False
    assert isinstance(structure.pages, tuple) and isinstance(structure.pages[0].questions, tuple)


def test_cached_without_queries_and_rebuilt_on_new_hash(structure, kgst_survey):
    fresh = Survey.objects.get(pk=kgst_survey.pk)
    with CaptureQueriesContext(connection) as ctx:
        again = get_structure(fresh)
    assert again is structure
    assert len(ctx.captured_queries) == 0

    Question.objects.filter(code="B1_nutzung").update(text="Geändert?")
    fresh.definition_hash = "0" * 64
    rebuilt = get_structure(fresh)
    assert rebuilt is not structure
    assert rebuilt.question("B1_nutzung").text == "Geändert?"


def _reference_effective(structure, answers):
    """The visibility pass written out plainly, without the memo (the rule of the module docstring)."""
    from surveys import conditions

    effective = {}
    for page in structure.pages:
        if conditions.evaluate(page.condition, effective):
            for q in page.questions:
                if conditions.evaluate(q.condition, effective):
                    effective.update({v: answers[v] for v in q.variables if answers.get(v) is not None})
    return effective


def test_visibility_agrees_with_a_reference_pass(structure):
    """Many answer sets (hypothesis) through one structure: every visibility question agrees with a
    straightforward reference pass over the conditions."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    def values(q):
        codes = [o.code for o in q.options] + ["9", "x"]
        if q.type == "multi":
            return st.lists(st.sampled_from(codes), max_size=3, unique=True)
        if q.type == "matrix":
            return st.sampled_from(codes)
        return st.one_of(st.sampled_from(codes), st.text(max_size=3))

    answer_sets = st.fixed_dictionaries({}, optional={
        v: values(q) for q in structure.questions for v in q.variables
    })

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(answer_sets)
    def check(answers):
        fresh = structure.visibility(answers)
        assert structure.effective_answers(answers) == _reference_effective(structure, answers)
        assert structure.visible_pages(answers) == fresh.pages
        for q in structure.questions:
            assert structure.is_question_shown(q.code, answers) == (q in fresh.questions)

    check()
    assert "B1_nutzung" in structure.condition_variables and "A2_beschaeftigte" not in structure.condition_variables
