"""The raw data as Stata .dta (pyreadstat), with variable and value labels (R: rds.py).

Like SPSS (spss.py) this format needs the whole table at once (exports/formats/frames.py). Stata gets variable
labels (cut at Stata's 80 characters) and value labels for the coded variables; the missing codes -1/-9
become the labelled extended missing values .a/.b (exports/analysis/missing.py); strings are cut at
2,045 bytes (Stata's `str#` limit, pyreadstat writes no strL).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyreadstat
from django.utils.translation import gettext_lazy

from exports.analysis import missing
from exports.analysis.datarows import Column

from ..frames import build_frame, cut_bytes, missing_columns, value_labels, variable_labels
from ..rawdata import DataExporter, RawData

STATA_LABEL = 80
STATA_STRING_BYTES = 2045


def _label(text: str) -> str:
    return cut_bytes(text, STATA_LABEL)


def _string(text: str) -> str:
    return cut_bytes(text, STATA_STRING_BYTES)


def write_dta(path: Path | str, cols: list[Column], rows: Iterable[list[Any]]) -> int:
    df, count = build_frame(cols, rows, _string)
    coded = missing_columns(cols)
    letters = {float(k): v for k, v in missing.STATA_LETTERS.items()}
    for code in coded:
        # Stata's extended missing values: pyreadstat writes a letter in a numeric column as .a/.b
        df[code] = df[code].astype(object).map(lambda v: letters.get(v, v))
    pyreadstat.write_dta(df, str(path), column_labels=variable_labels(cols, _label),
                         variable_value_labels=value_labels(cols, int, _label, missing_key=missing.STATA_LETTERS.get),
                         missing_user_values={code: sorted(missing.STATA_LETTERS.values()) for code in coded})
    return count


class StataExporter(DataExporter):
    identifier = "dta"
    extensions = (".dta",)
    verbose_name = gettext_lazy("Stata (.dta)")
    content_type = "application/octet-stream"  # no registered media type
    position = 40

    def write(self, path: Path | str, data: RawData) -> int:
        return write_dta(path, data.cols, data.rows)
