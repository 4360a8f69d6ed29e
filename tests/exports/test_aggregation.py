"""Aggregation: SQL counts equal the Python evaluation and an independent count of the plans."""

import pytest

from exports.analysis import aggregation
from tests.exports.independent import count_plans


def _table_figures(tables: dict) -> dict:
    figures = {}
    for t in tables["questions"]:
        parts = t["rows"] if t["type"] == "matrix" else [t] if "options" in t else []
        for part in parts:
            figures[part["code"]] = {
                "shown": t["shown"], "base": part["base"],
                "options": {o["code"]: o["count"] for o in part["options"] if o["count"]},
            }
    return figures


@pytest.mark.parametrize("include_partial", [False, True])
def test_sql_counts_equal_python_counts(kgst_survey, generated, include_partial):
    generated(400, seed=7, partial_share=0.3)
    sql = aggregation.sql_counts(kgst_survey, include_partial)
    py = aggregation.python_counts(kgst_survey, include_partial)
    assert sql.respondents == py.respondents > 0
    assert sql.shown == py.shown
    assert sql.freq == py.freq
    assert sql.answered == py.answered
    assert sql.xfreq == py.xfreq
    assert sql.xbase == py.xbase
    assert sql.numbers.keys() == py.numbers.keys()
    for key, values in sql.numbers.items():
        assert values == pytest.approx(py.numbers[key])


@pytest.mark.parametrize("include_partial", [False, True])
def test_tables_equal_independent_count(kgst_survey, kgst_structure, generated, include_partial):
    plans = generated(300, seed=11, partial_share=0.25)
    tables = aggregation.compute_tables(kgst_survey, include_partial)
    expected = count_plans(kgst_structure, plans, include_partial)
    got = _table_figures(tables)
    for variable, figures in got.items():
        exp = expected[variable]
        assert figures["shown"] == exp["shown"], variable
        assert figures["base"] == exp["base"], variable
        assert figures["options"] == dict(exp["options"]), variable
    assert tables["respondents"] == sum(1 for p in plans if include_partial or p.status == "submitted")


def test_left_over_answers_of_hidden_questions_do_not_count(kgst_survey, kgst_structure):
    """A partial response that answered B2/B3 and then switched B1 to "Nein" keeps old rows."""
    from harness.answer_data import Plan, insert_plans

    plan = Plan(answers={"B1_nutzung": "2", "B2_zweck": ["1"], "B3_dauer": "1", "G2_einfuehrung": "1"},
                shown=[], member={"land": "Bayern", "typ": "Stadt", "einwohner": 30_000}, status="started")
    insert_plans(kgst_survey, kgst_structure, [plan])
    for counts in (aggregation.sql_counts(kgst_survey, True), aggregation.python_counts(kgst_survey, True)):
        assert counts.shown.get("B3_dauer", 0) == 0
        assert ("B3_dauer", "1") not in counts.freq
        assert counts.freq[("G2_einfuehrung", "1")] == 1
        assert counts.shown["G2_einfuehrung"] == 1


def test_number_statistics(kgst_survey, kgst_structure):
    from harness.answer_data import Plan, insert_plans

    plans = [Plan(answers={"B1_nutzung": "2", "A2_beschaeftigte": str(v)}, shown=[],
                  member={"land": "Bayern", "typ": "Stadt", "einwohner": 30_000}) for v in (10, 20, 30, 1000)]
    plans.append(Plan(answers={"B1_nutzung": "2"}, shown=[], member=plans[0].member))
    insert_plans(kgst_survey, kgst_structure, plans)
    table = next(t for t in aggregation.compute_tables(kgst_survey)["questions"] if t["code"] == "A2_beschaeftigte")
    assert table["stats"] == {"n": 4, "mean": 265.0, "median": 25.0, "min": 10.0, "max": 1000.0}
    assert (table["base"], table["missing"], table["shown"]) == (4, 1, 5)
