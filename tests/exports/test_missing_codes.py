"""Missing codes (exports/analysis/missing.py): for every conditional question of the KGSt survey,
"not shown" (-1) and "shown, not answered" (-9) come out distinct in every data format, declared as
missing where the format can (SPSS user-missing, Stata .a/.b, R NA with na_reason), and their
counts equal the workbook's result tables (responses not shown the question; the missing row)."""

from __future__ import annotations

import csv
import math
from collections import Counter

import pyreadr
import pyreadstat
import pytest
import rdata
from openpyxl import load_workbook

from exports.analysis import aggregation, datarows
from exports.analysis.missing import LABELS, NO_ANSWER, NOT_SHOWN
from exports.formats.registry import build_export
from tests.exports.test_rds import _columns, _text

pytestmark = pytest.mark.django_db


@pytest.fixture
def exported(kgst_survey, generated, tmp_path):
    generated(120, seed=11, partial_share=0.4)
    paths = {}
    for fmt in ("xlsx", "csv", "sav", "dta", "rds"):
        paths[fmt] = tmp_path / f"daten.{fmt}"
        assert build_export(kgst_survey, fmt, paths[fmt], include_partial=True) == 120
    return paths


def _expected(survey) -> dict[str, dict[int, int]]:
    """{column: {-1: responses not shown, -9: shown and not answered}} from the result tables."""
    tables = aggregation.compute_tables(survey, True)
    respondents = tables["respondents"]
    by_code = {t["code"]: t for t in tables["questions"]}
    out = {}
    for c in datarows.columns(survey):
        if not (c.has_missing_codes and c.condition):
            continue
        table = by_code[c.question_code]
        missing = next(r for r in table["rows"] if r["code"] == c.code)["missing"] if c.kind == "matrix" \
            else table["missing"]
        out[c.code] = {NOT_SHOWN: respondents - table["shown"], NO_ANSWER: missing}
    return out


def _counts(values) -> dict[int, int]:
    counter = Counter(values)
    return {NOT_SHOWN: counter[NOT_SHOWN], NO_ANSWER: counter[NO_ANSWER]}


def test_every_conditional_question_has_distinct_declared_codes(kgst_survey, exported):
    expected = _expected(kgst_survey)
    questions = {c.question_code for c in datarows.columns(kgst_survey) if c.code in expected}
    assert {"B2_zweck", "B3_dauer", "G2_einfuehrung"} <= questions
    # every conditional question has responses not shown it; most also have shown-but-unanswered ones
    # (B2_zweck is required and on B1's page, so it has none); each count is checked per format below
    assert all(e[NOT_SHOWN] > 0 for e in expected.values()), expected
    assert sum(e[NO_ANSWER] > 0 for e in expected.values()) > len(expected) / 2, expected

    rows = list(load_workbook(exported["xlsx"], read_only=True)["Daten"].iter_rows(values_only=True))
    header = list(rows[0])
    for code, want in expected.items():
        assert _counts(r[header.index(code)] for r in rows[1:]) == want, ("xlsx", code)

    with open(exported["csv"], encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(handle, delimiter=";"))
    for code, want in expected.items():
        i = table[0].index(code)
        assert _counts(int(r[i]) if r[i] else None for r in table[1:]) == want, ("csv", code)

    df, meta = pyreadstat.read_sav(str(exported["sav"]), user_missing=True)
    plain, _ = pyreadstat.read_sav(str(exported["sav"]))
    for code, want in expected.items():
        assert _counts(df[code].tolist()) == want, ("sav", code)
        assert sorted(r["lo"] for r in meta.missing_ranges[code]) == [NO_ANSWER, NOT_SHOWN]
        assert meta.variable_value_labels[code][NOT_SHOWN] == LABELS[NOT_SHOWN]
        assert meta.variable_value_labels[code][NO_ANSWER] == LABELS[NO_ANSWER]
        assert not set(plain[code].dropna()) & {NOT_SHOWN, NO_ANSWER}  # SPSS treats them as missing

    df, meta = pyreadstat.read_dta(str(exported["dta"]), user_missing=True)
    plain, _ = pyreadstat.read_dta(str(exported["dta"]))
    for code, want in expected.items():
        assert Counter(df[code].tolist())["a"] == want[NOT_SHOWN], ("dta", code)
        assert Counter(df[code].tolist())["b"] == want[NO_ANSWER], ("dta", code)
        # Stata stores .a/.b in the values; the reader lists the letters that occur
        assert set(meta.missing_user_values[code]) == {letter for letter, n in (("a", NOT_SHOWN), ("b", NO_ANSWER))
                                                       if want[n]}
        assert meta.variable_value_labels[code]["a"] == LABELS[NOT_SHOWN]
        assert meta.variable_value_labels[code]["b"] == LABELS[NO_ANSWER]
        assert plain[code].isna().sum() == want[NOT_SHOWN] + want[NO_ANSWER]

    columns = _columns(exported["rds"])
    values = pyreadr.read_r(str(exported["rds"]))[None]
    for code, want in expected.items():
        reasons = Counter(_text(columns[code][1]["na_reason"]))
        assert reasons[LABELS[NOT_SHOWN]] == want[NOT_SHOWN], ("rds", code)
        assert reasons[LABELS[NO_ANSWER]] == want[NO_ANSWER], ("rds", code)
        nas = [v is None or (isinstance(v, float) and math.isnan(v)) for v in values[code].tolist()]
        assert sum(nas) == want[NOT_SHOWN] + want[NO_ANSWER]
        assert all(na == (reason is not None)
                   for na, reason in zip(nas, _text(columns[code][1]["na_reason"]), strict=True))


def test_codebook_explains_the_codes(kgst_survey, exported):
    rows = list(load_workbook(exported["xlsx"], read_only=True)["Codebuch"].iter_rows(values_only=True))
    by_code = {r[0]: (*r, None, None, None, None) for r in rows if r and r[0]}  # read-only rows end early
    assert "-1 = nicht gezeigt (Filter); -9 = keine Angabe" in by_code["G2_einfuehrung"][4]
    assert by_code["name"][4] is None  # register and text variables: no codes
    note = by_code["Fehlende Werte"][1]
    assert "-1 = nicht gezeigt" in note and "-9 = keine Angabe" in note and "Textvariablen bleiben leer" in note


def test_rdata_reads_the_reason_attribute(kgst_survey, exported):
    parsed = rdata.parser.parse_file(exported["rds"])
    assert parsed.object is not None
