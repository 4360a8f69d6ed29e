"""Cross-tabs by any variable with a filter: counts, bases and missing answers equal an
independent count over random answer sets (PostgreSQL path and the Python path)."""

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exports.analysis import crosstab
from exports.analysis.crosstab import Filter, Spec
from harness.answer_data import insert_plans
from invitations.models import Member
from responses.models import Response
from tests.exports.conftest import make_plans
from tests.exports.independent import count_crosstab

BYS = ["land", "groessenklasse", "typ", "B1_nutzung", "B2_zweck", "C1_3", "D1_extern"]
FILTERS = [None, ("B1_nutzung", ("1",)), ("land", ("Bayern", "Hessen", "Sachsen")),
           ("groessenklasse", ("5", "6", "7")), ("D1_extern", ("2", "7")), ("typ", ("Stadt",))]


def add_stale_answers(structure, plans, ids, rng):
    """Answers left behind on questions a respondent is not shown (e.g. after going back and
    changing B1_nutzung): stored, but never counted."""
    from responses.models import Answer

    used = set(structure.condition_variables)
    hidden_ok = [q for q in structure.questions if q.type in ("single", "multi", "matrix")
                 and not set(q.variables) & used]
    rows = []
    for plan, rid in zip(plans, ids, strict=True):
        for q in hidden_ok:
            if q.code not in plan.shown and rng.random() < 0.5:
                variable = q.rows[0].code if q.type == "matrix" else q.code
                rows.append(Answer(response_id=rid, question_id=q.id, variable=variable, value=q.options[0].code))
    Answer.objects.bulk_create(rows)


def check(structure, result, expected):
    assert result["crosstabs"], "no cross-tabs"
    for x in result["crosstabs"]:
        exp = expected[x["variable"]]
        keys = [c["code"] or None for c in x["columns"]]
        for i, key in enumerate(keys):
            e = exp.get(key, {"shown": 0, "base": 0, "options": {}})
            assert x["bases"][i] == e["base"], (x["variable"], key)
            assert x["missing"][i] == e["shown"] - e["base"], (x["variable"], key)
            for row in x["rows"]:
                count = e["options"].get(row["code"], 0)
                assert row["counts"][i] == count, (x["variable"], key, row["code"])
                if e["base"]:
                    assert row["percents"][i] == pytest.approx(count / e["base"])
                else:
                    assert row["percents"][i] is None
        # every column with respondents appears (register) or every option (question)
        present = {k for k, v in exp.items() if k is not None and v}
        assert present <= set(keys[:-1]) | {k for k in present if exp[k]["shown"] == 0}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), n=st.integers(1, 50), by=st.sampled_from(BYS),
       flt=st.sampled_from(FILTERS), include_partial=st.booleans())
def test_crosstab_counts_equal_independent_count(kgst_survey, kgst_structure, seed, n, by, flt, include_partial):
    Response.objects.all().delete()
    Member.objects.all().delete()
    plans = make_plans(kgst_structure, seed, n, 0.3, nasty=random.Random(seed).random() < 0.3)
    ids = insert_plans(kgst_survey, kgst_structure, plans)
    add_stale_answers(kgst_structure, plans, ids, random.Random(seed))
    spec = Spec(by=by, filter=Filter(*flt) if flt else None, include_partial=include_partial)
    expected = count_crosstab(kgst_structure, plans, by, flt[0] if flt else None, flt[1] if flt else (),
                              include_partial)
    check(kgst_structure, crosstab.tables(kgst_survey, spec, crosstab.count(kgst_survey, spec)), expected)
    check(kgst_structure, crosstab.tables(kgst_survey, spec, crosstab.python_count(kgst_survey, spec)), expected)


def test_filter_and_split_by_hand(kgst_survey, kgst_structure):
    """Three respondents, counted by hand: B2_zweck by Land among B1_nutzung = 1."""
    from harness.answer_data import Plan

    def plan(land, answers):
        shown = [q.code for q in kgst_structure.shown_questions(answers)]
        return Plan(answers=answers, shown=shown, member={"land": land, "typ": "Stadt", "einwohner": 50_000})

    plans = [
        plan("Bayern", {"A1_bereich": "2", "B1_nutzung": "1", "B2_zweck": ["1", "2"], "B3_dauer": "3"}),
        plan("Bayern", {"A1_bereich": "2", "B1_nutzung": "1"}),  # B2 shown, not answered → missing
        plan("Hessen", {"A1_bereich": "2", "B1_nutzung": "1", "B2_zweck": ["2"]}),
        plan("Hessen", {"A1_bereich": "2", "B1_nutzung": "2"}),  # filtered out
    ]
    insert_plans(kgst_survey, kgst_structure, plans)
    spec = Spec(by="land", filter=Filter("B1_nutzung", ("1",)))
    result = crosstab.compute(kgst_survey, spec)
    x = next(t for t in result["crosstabs"] if t["variable"] == "B2_zweck")
    assert [c["label"] for c in x["columns"]] == ["Bayern", "Hessen", "Gesamt"]
    assert x["bases"] == [1, 1, 2]
    assert x["missing"] == [1, 0, 1]
    assert x["rows"][0]["counts"] == [1, 0, 1]  # intern
    assert x["rows"][1]["counts"] == [1, 1, 2]  # extern
    assert x["rows"][1]["percents"] == [1.0, 1.0, 1.0]
    assert result["respondents"] == 3
    assert result["filter_text"] == "B1_nutzung = 1 (Ja)"


def test_answers_of_hidden_questions_are_not_columns_or_filters(kgst_survey, kgst_structure):
    from harness.answer_data import Plan
    from responses.models import Answer

    member = {"land": "Bayern", "typ": "Stadt", "einwohner": 50_000}
    shown_ext = [q.code for q in kgst_structure.shown_questions({"B1_nutzung": "1", "B2_zweck": ["2"]})]
    shown_no = [q.code for q in kgst_structure.shown_questions({"B1_nutzung": "2"})]
    plans = [Plan(answers={"B1_nutzung": "1", "B2_zweck": ["2"], "D1_extern": ["2"]}, shown=shown_ext, member=member),
             Plan(answers={"B1_nutzung": "2"}, shown=shown_no, member=member)]
    ids = insert_plans(kgst_survey, kgst_structure, plans)
    d1 = kgst_structure.question("D1_extern")
    Answer.objects.create(response_id=ids[1], question_id=d1.id, variable="D1_extern", value="2")  # stale
    by_d1 = crosstab.compute(kgst_survey, Spec(by="D1_extern"))
    b1 = next(t for t in by_d1["crosstabs"] if t["variable"] == "B1_nutzung")
    col = [c["code"] for c in b1["columns"]].index("2")
    assert b1["bases"][col] == 1 and b1["bases"][-1] == 2
    only_d1 = crosstab.compute(kgst_survey, Spec(by="land", filter=Filter("D1_extern", ("2",))))
    assert only_d1["respondents"] == 1
