"""Free-text lists and counts equal an independent count over random answer sets, stale answers of
hidden questions included (PostgreSQL and the Python path), and agree with the result tables."""

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exports.analysis import aggregation, freetexts
from harness.answer_data import insert_plans
from invitations.models import Member
from responses.models import Answer, Response
from tests.exports.conftest import make_plans

pytestmark = pytest.mark.django_db


def add_stale_texts(structure, plans, ids, rng) -> None:
    """Free texts left on questions the respondent is not shown: stored, never listed nor counted."""
    rows = []
    for plan, rid in zip(plans, ids, strict=True):
        for item in freetexts.free_text_variables(structure):
            if item.question.code not in plan.shown and rng.random() < 0.5:
                rows.append(Answer(response_id=rid, question_id=item.question.id, variable=item.variable,
                                   value=f"veraltet {rid}"))
    Answer.objects.bulk_create(rows)


def expected_ids(structure, plans, ids, include_partial) -> dict[str, set[int]]:
    wanted = ("submitted", "started") if include_partial else ("submitted",)
    result = {}
    for item in freetexts.free_text_variables(structure):
        result[item.variable] = {rid for plan, rid in zip(plans, ids, strict=True)
                                 if plan.status in wanted and item.question.code in plan.shown
                                 and plan.answers.get(item.variable) not in (None, "")}
    return result


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), n=st.integers(1, 40), include_partial=st.booleans())
def test_free_texts_equal_an_independent_count(kgst_survey, kgst_structure, seed, n, include_partial):
    Response.objects.all().delete()
    Member.objects.all().delete()
    plans = make_plans(kgst_structure, seed, n, 0.3, nasty=random.Random(seed).random() < 0.5)
    ids = insert_plans(kgst_survey, kgst_structure, plans)
    add_stale_texts(kgst_structure, plans, ids, random.Random(seed))
    expected = expected_ids(kgst_structure, plans, ids, include_partial)
    counts = freetexts.counts(kgst_survey, include_partial)
    assert counts == {variable: len(found) for variable, found in expected.items()}
    raw = aggregation.python_counts(kgst_survey, include_partial)  # the result tables' reference counting
    assert counts == {variable: raw.answered.get(variable, 0) for variable in expected}
    for variable, found in expected.items():
        listed = [row["response_id"] for row in freetexts.answers(kgst_survey, variable, "", include_partial)]
        assert sorted(listed) == sorted(found), variable
        assert not any(row["text"].startswith("veraltet")
                       for row in freetexts.answers(kgst_survey, variable, "veraltet", include_partial))


def test_deciding_variables_follow_the_conditions_back(kgst_structure):
    """What can hide a question: its page's and its own condition, and what decides about those."""
    question = kgst_structure.question
    assert freetexts.deciding_variables(kgst_structure, question("H1_anmerkungen")) == set()
    assert freetexts.deciding_variables(kgst_structure, question("D1_extern")) == {"B2_zweck", "B1_nutzung"}
    assert freetexts.deciding_variables(kgst_structure, question("A1_bereich")) == set()
