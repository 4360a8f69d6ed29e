"""Property: for random answer sets, the counts in the workbook equal an independent count."""

import random
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exports.formats.registry import build_export
from harness.answer_data import insert_plans
from invitations.models import Member
from responses.models import Response
from tests.exports.conftest import make_plans
from tests.exports.independent import count_plans
from tests.exports.readback import result_tables


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), n=st.integers(1, 60), partial_share=st.sampled_from([0.0, 0.3, 0.8]),
       include_partial=st.booleans())
def test_workbook_counts_equal_independent_count(kgst_survey, kgst_structure, seed, n, partial_share,
                                                 include_partial):
    Response.objects.all().delete()
    Member.objects.all().delete()
    # This test checks the unprotected figures; small-cell protection has its own tests (test_protection).
    kgst_survey.min_base = 1
    kgst_survey.save(update_fields=["min_base"])
    plans = make_plans(kgst_structure, seed, n, partial_share, nasty=random.Random(seed).random() < 0.5)
    insert_plans(kgst_survey, kgst_structure, plans)
    expected = count_plans(kgst_structure, plans, include_partial)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.xlsx"
        build_export(kgst_survey, "xlsx", path, include_partial=include_partial)
        tables = result_tables(path)
    for q in kgst_structure.questions:
        if q.type not in ("single", "multi", "matrix"):
            continue
        for variable in ([r.code for r in q.rows] if q.type == "matrix" else [q.code]):
            table, exp = tables[variable], expected[variable]
            got = {str(code): v[1] for code, v in table["options"].items() if v[1]}
            assert got == dict(exp["options"]), variable
            assert table["base"] == exp["base"], variable
            assert table["missing"] == exp["shown"] - exp["base"], variable
            for code, (_, count, pct) in table["options"].items():
                if exp["base"]:
                    assert pct == pytest.approx(count / exp["base"], rel=1e-12), (variable, code)
                else:
                    assert pct is None, (variable, code)
