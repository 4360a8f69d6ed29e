"""The raw data as SPSS .sav (pyreadstat) with variable labels and value labels.

SPSS needs the whole table at once: the frame is built in memory (frames.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyreadstat

from exports.analysis.datarows import Column

from ..frames import build_frame, value_labels, variable_labels

MAX_LABEL = 250


def _cut(text: str) -> str:
    return text[:MAX_LABEL]


def write_sav(path: Path | str, cols: list[Column], rows: Iterable[list[Any]]) -> int:
    df, count = build_frame(cols, rows)
    pyreadstat.write_sav(
        df, str(path),
        column_labels=variable_labels(cols, _cut),
        variable_value_labels=value_labels(cols, float, _cut),
        variable_measure={c.code: "nominal" for c in cols if c.value_labels},
    )
    return count
