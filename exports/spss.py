"""The raw data as SPSS .sav (pyreadstat) with variable labels and value labels.

SPSS needs the whole table at once, so this format is built in memory (about 60 bytes
per cell: ~350 MB would be 100,000 responses × 60 variables of long text; fine for this
survey's size, and the .xlsx/.csv exports stream).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import pyreadstat

from .datarows import Column
from .safe import clean_text

MAX_LABEL = 250


def write_sav(path: Path | str, cols: list[Column], rows: Iterable[list[Any]]) -> int:
    data: dict[str, list[Any]] = {c.code: [] for c in cols}
    codes = [c.code for c in cols]
    count = 0
    for row in rows:
        for code, value in zip(codes, row, strict=True):
            data[code].append(value)
        count += 1
    frame = {}
    for c in cols:
        values = data[c.code]
        if c.numeric:
            frame[c.code] = pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce").astype("float64")
        elif c.code in ("started_at", "submitted_at"):
            frame[c.code] = pd.to_datetime(pd.Series(values, dtype="object"))
        else:
            frame[c.code] = pd.Series(["" if v is None else clean_text(str(v)) for v in values], dtype="object")
    df = pd.DataFrame(frame, columns=codes)
    value_labels = {
        c.code: {float(k): clean_text(v)[:MAX_LABEL] for k, v in c.value_labels.items()}
        for c in cols if c.numeric and c.value_labels and all(isinstance(k, int) for k in c.value_labels)
    }
    pyreadstat.write_sav(
        df, str(path),
        column_labels=[clean_text(c.label)[:MAX_LABEL] for c in cols],
        variable_value_labels=value_labels,
        variable_measure={c.code: "nominal" for c in cols if c.value_labels},
    )
    return count
