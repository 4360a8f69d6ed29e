"""R itself (Debian's r-base-core, `Rscript` as a subprocess) reads the `.rds` and the `.csv` export of
the answered KGSt survey and counts per code — the missing codes included — what the workbook counts.

In the `.rds` a coded variable is a factor whose levels are the value labels, and a missing value is
NA with its reason in the attribute `na_reason` (exports/formats/exporters/rds.py); in the `.csv` the
codes are numbers, -1 "nicht gezeigt (Filter)" and -9 "keine Angabe" (exports/analysis/missing.py).
The workbook's Ergebnisse sheet gives per variable the count of each option, the missing row (shown,
not answered: -9) and the base; respondents − base − missing were not shown the question (-1).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections import defaultdict

import pytest
from openpyxl import load_workbook

from exports.analysis import datarows
from exports.analysis.missing import LABELS, NO_ANSWER, NOT_SHOWN
from exports.formats.registry import build_export
from exports.formats.safe import clean_text
from tests.exports.readback import result_tables

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript is not installed (Debian: r-base-core)"),
]

# No package beyond base R: readRDS for the .rds, read.csv2 (";" and decimal comma) for the .csv.
SCRIPT = r"""
args <- commandArgs(trailingOnly = TRUE)
df <- readRDS(args[1])
csv <- read.csv2(args[2], fileEncoding = "UTF-8-BOM", check.names = FALSE, stringsAsFactors = FALSE)
for (v in args[-(1:2)]) {
  x <- df[[v]]
  counts <- table(x, useNA = "no")
  for (level in names(counts)) cat("rds", v, level, counts[[level]], sep = "\t", fill = FALSE, "\n")
  reasons <- table(attr(x, "na_reason"), useNA = "no")
  for (reason in names(reasons)) cat("rds", v, paste0("NA:", reason), reasons[[reason]], sep = "\t", "\n")
  cat("rds", v, "is.na", sum(is.na(x)), sep = "\t", "\n")
  codes <- table(csv[[v]], useNA = "no")
  for (code in names(codes)) cat("csv", v, code, codes[[code]], sep = "\t", "\n")
}
cat("rows", nrow(df), nrow(csv), "\n", sep = "\t")
"""


def _run_r(tmp_path, rds, csv, variables: list[str]) -> tuple[dict, list[str]]:
    script = tmp_path / "count.R"
    script.write_text(SCRIPT, encoding="utf-8")
    env = {**os.environ, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    done = subprocess.run(["Rscript", "--vanilla", str(script), str(rds), str(csv), *variables],
                          capture_output=True, text=True, encoding="utf-8", env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    out: dict = defaultdict(lambda: defaultdict(dict))
    rows: list[str] = []
    for line in done.stdout.splitlines():
        parts = [p.strip() for p in line.split("\t") if p.strip()]
        if parts and parts[0] == "rows":
            rows = parts[1:]
        elif len(parts) == 4:
            source, variable, key, count = parts
            out[source][variable][key] = int(count)
    return out, rows


def _variables(survey) -> list[datarows.Column]:
    """Several coded variables: single choices with and without a condition, a multiple choice's
    0/1 columns, matrix rows."""
    cols = [c for c in datarows.columns(survey) if c.has_missing_codes and c.value_labels]
    picked = [c for c in cols if c.kind == "single"][:3] + [c for c in cols if c.kind == "multi"][:2] + \
        [c for c in cols if c.kind == "matrix"][:2]
    picked += [c for c in cols if c.condition and c not in picked][:2]
    assert any(c.condition for c in picked)
    return picked


def test_r_counts_equal_the_workbook(kgst_survey, generated, tmp_path):
    generated(120, seed=23, partial_share=0.0)
    paths = {fmt: tmp_path / f"daten.{fmt}" for fmt in ("xlsx", "csv", "rds")}
    for fmt, path in paths.items():
        assert build_export(kgst_survey, fmt, path) > 0
    picked = _variables(kgst_survey)
    counted, rows = _run_r(tmp_path, paths["rds"], paths["csv"], [c.code for c in picked])
    overview = {r[0]: r[1] for r in load_workbook(paths["xlsx"], read_only=True)["Übersicht"].iter_rows(
        values_only=True) if r and len(r) > 1}
    respondents = overview["Befragte in den Auswertungen"]
    assert rows == [str(respondents), str(respondents)]
    tables = result_tables(paths["xlsx"])
    checked_missing = 0
    for c in picked:
        if c.kind == "multi":  # the workbook counts the option chosen (1); 0 = answered, not chosen
            table = tables[c.question_code]
            chosen = table["options"][int(c.code.rsplit("_", 1)[1])][1]
            want_codes = {1: chosen, 0: table["base"] - chosen}
        else:
            table = tables[c.code]
            want_codes = {code: count for code, (_label, count, _pct) in table["options"].items() if count}
        want_missing = {NO_ANSWER: table["missing"], NOT_SHOWN: respondents - table["base"] - table["missing"]}
        want_missing = {k: v for k, v in want_missing.items() if v}
        checked_missing += bool(want_missing)
        # the .csv: codes and missing codes as numbers
        csv_counts = {int(code): n for code, n in counted["csv"][c.code].items()}
        assert csv_counts == {**{k: v for k, v in want_codes.items() if v}, **want_missing}, c.code
        # the .rds: a factor with the value labels as levels, NA with the reason
        rds = counted["rds"][c.code]
        labels = {clean_text(label): code for code, label in c.value_labels.items()}
        by_code = {labels[key]: n for key, n in rds.items() if not key.startswith("NA:") and key != "is.na" and n}
        assert by_code == {k: v for k, v in want_codes.items() if v}, c.code
        reasons = {key.removeprefix("NA:"): n for key, n in rds.items() if key.startswith("NA:")}
        assert reasons == {LABELS[k]: v for k, v in want_missing.items()}, c.code
        assert rds["is.na"] == sum(want_missing.values()), c.code
    assert checked_missing >= 3  # -1 and -9 really occur among the variables read
