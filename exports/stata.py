"""The raw data as Stata .dta (pyreadstat), with variable and value labels (R: exports/rds.py).

Like SPSS (spss.py) these formats need the whole table at once, so the frame is built in
memory. Stata gets variable labels (cut at Stata's 80 characters) and value labels for the
coded variables; strings are cut at 2,045 bytes (Stata's `str#` limit, pyreadstat writes no
strL).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import pyreadstat

from .datarows import Column
from .safe import clean_text

STATA_LABEL = 80
STATA_STRING_BYTES = 2045


def _collect(cols: list[Column], rows: Iterable[list[Any]]) -> tuple[dict[str, list[Any]], int]:
    data: dict[str, list[Any]] = {c.code: [] for c in cols}
    codes = [c.code for c in cols]
    count = 0
    for row in rows:
        for code, value in zip(codes, row, strict=True):
            data[code].append(value)
        count += 1
    return data, count


def _cut_bytes(text: str, limit: int) -> str:
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text
    return raw[:limit].decode("utf-8", errors="ignore")


def _labelled(c: Column) -> bool:
    return c.numeric and bool(c.value_labels) and all(isinstance(k, int) for k in c.value_labels)


def _frame(cols: list[Column], data: dict[str, list[Any]], string_limit: int | None) -> pd.DataFrame:
    frame = {}
    for c in cols:
        values = data[c.code]
        if c.numeric:
            frame[c.code] = pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce").astype("float64")
        elif c.code in ("started_at", "submitted_at"):
            frame[c.code] = pd.to_datetime(pd.Series(values, dtype="object"))
        else:
            texts = ["" if v is None else clean_text(str(v)) for v in values]
            if string_limit:
                texts = [_cut_bytes(t, string_limit) for t in texts]
            frame[c.code] = pd.Series(texts, dtype="object")
    return pd.DataFrame(frame, columns=[c.code for c in cols])


def write_dta(path: Path | str, cols: list[Column], rows: Iterable[list[Any]]) -> int:
    data, count = _collect(cols, rows)
    df = _frame(cols, data, STATA_STRING_BYTES)
    pyreadstat.write_dta(
        df, str(path),
        column_labels=[_cut_bytes(clean_text(c.label), STATA_LABEL) for c in cols],
        variable_value_labels={c.code: {int(k): _cut_bytes(clean_text(v), STATA_LABEL)
                                        for k, v in c.value_labels.items()} for c in cols if _labelled(c)},
    )
    return count

