"""The published reference figures come out of the workbook exactly when the same answers are
collected through the respondent views."""

import pytest
from django.test import Client

from exports.formats.registry import build_export
from responses.models import Response
from tests.exports.readback import result_tables
from tests.exports.reference import reference_plan, walk


@pytest.fixture
def collected(kgst_survey, kgst_structure, make_invitation):
    client = Client()
    for member, answers in reference_plan():
        invitation = make_invitation(kgst_survey, **member)
        walk(client, kgst_structure, invitation.token, answers)
    for k in range(6):  # partial responses: users who stopped after page 2
        invitation = make_invitation(kgst_survey, land="Bayern", einwohner=20_000 + k)
        walk(client, kgst_structure, invitation.token, {"A1_bereich": "2", "B1_nutzung": "1", "B2_zweck": ["2"],
                                                        "B3_dauer": "1"}, submit=False, max_pages=2)
    assert Response.objects.filter(status="submitted").count() == 318
    assert Response.objects.filter(status="started").count() == 6
    return kgst_survey


def _check(tables, code, expected_counts, base, published_pct=None, missing=None):  # noqa: PLR0913
    table = tables[code]
    counts = {str(c): v[1] for c, v in table["options"].items()}
    for option, count in expected_counts.items():
        assert counts[option] == count, (code, option)
        assert table["options"][int(option)][2] == pytest.approx(count / base), (code, option)
    assert table["base"] == base, code
    if missing is not None:
        assert table["missing"] == missing, code
    for options, pct in (published_pct or {}).items():
        got = sum(table["options"][int(o)][2] for o in options)
        assert round(100 * got) == pct, (code, options, got)


def test_reference_figures_in_workbook(collected, tmp_path):
    """Collected once (≈ 5,000 requests); checks submitted-only and then partial-on-request."""
    path = tmp_path / "kgst.xlsx"
    build_export(collected, "xlsx", path)
    t = result_tables(path)
    assert t["B3_dauer"]["title"] == "B3_dauer – Seit wann nutzt Ihre Kommune Social Media?"
    _check(t, "B1_nutzung", {"1": 172, "2": 146}, 318, {"1": 54}, missing=0)
    _check(t, "B3_dauer", {"1": 26, "2": 71, "3": 65}, 162, {"1": 16, "2": 44, "3": 40}, missing=10)
    _check(t, "E1_strategie", {"1": 28, "2": 37}, 139, {"1": 20, "2": 27})
    _check(t, "E3_monitoring", {"1": 57, "2": 42, "3": 31, "4": 3}, 133, {"1": 43, "3": 23, "4": 2})
    _check(t, "D3_reaktionszeit_festgelegt", {"1": 16}, 114, {"1": 14})
    _check(t, "D1_extern", {"3": 58, "4": 46, "1": 32}, 120, {"3": 48, "4": 38, "1": 27}, missing=0)
    _check(t, "C2_ziele_intern", {"3": 30, "4": 9}, 70, {"34": 56}, missing=10)
    _check(t, "G1_ausbau", {"1": 63, "2": 35}, 150, {"1": 42, "2": 23}, missing=22)
    _check(t, "G2_einfuehrung", {"1": 5, "2": 9}, 140, {"12": 10}, missing=6)
    _check(t, "D4_reaktionszeit", {"1": 72, "3": 10, "4": 4}, 110, {"1": 65, "3": 9, "4": 4})
    assert t["B2_zweck"]["base"] == 172 and t["B2_zweck"]["missing"] == 0

    # the same collection with partial responses on request (one collection: it is slow)
    path = tmp_path / "kgst-partial.xlsx"
    build_export(collected, "xlsx", path, include_partial=True)
    t = result_tables(path)
    _check(t, "B1_nutzung", {"1": 178, "2": 146}, 324)
    _check(t, "B3_dauer", {"1": 32, "2": 71, "3": 65}, 168)
    # shown by the conditions (B1 = 1) but never reached: missing, not in the base
    assert t["E1_strategie"]["base"] == 139 and t["E1_strategie"]["missing"] == 172 + 6 - 139
