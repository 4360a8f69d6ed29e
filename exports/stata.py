"""The raw data as Stata .dta (pyreadstat) and R .rds (pyreadr), with labels.

Like SPSS (spss.py) these formats need the whole table at once (frames.py). Stata gets
variable labels (cut at Stata's 80 characters) and value labels for the coded variables;
strings are cut at 2,045 bytes (Stata's `str#` limit, pyreadstat writes no strL). R gets the
coded variables as factors whose levels are the value labels; pyreadr writes no attributes, so
the variable labels of an R file are in the workbook's codebook (and in the .dta/.sav files,
which R reads with labels through `haven`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import pyreadstat

from .datarows import Column
from .frames import build_frame, cut_bytes, value_labels, variable_labels

STATA_LABEL = 80
STATA_STRING_BYTES = 2045


def _label(text: str) -> str:
    return cut_bytes(text, STATA_LABEL)


def _string(text: str) -> str:
    return cut_bytes(text, STATA_STRING_BYTES)


def write_dta(path: Path | str, cols: list[Column], rows: Iterable[list[Any]]) -> int:
    df, count = build_frame(cols, rows, _string)
    pyreadstat.write_dta(df, str(path), column_labels=variable_labels(cols, _label),
                         variable_value_labels=value_labels(cols, int, _label))
    return count


def write_rds(path: Path | str, cols: list[Column], rows: Iterable[list[Any]]) -> int:
    import pyreadr

    df, count = build_frame(cols, rows)
    for code, labels in value_labels(cols).items():
        # distinct labels per level: R factors need unique levels
        levels = list(dict.fromkeys(labels.values()))
        df[code] = pd.Categorical(df[code].map(labels), categories=levels)
    pyreadr.write_rds(str(path), df)
    return count
