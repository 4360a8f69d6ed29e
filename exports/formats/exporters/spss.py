"""The raw data as SPSS .sav (pyreadstat) with variable labels and value labels; the missing codes
-1 (not shown) and -9 (not answered) are declared user-missing (exports/analysis/missing.py).

SPSS needs the whole table at once: the frame is built in memory (exports/formats/frames.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyreadstat
from django.utils.translation import gettext_lazy

from exports.analysis import missing
from exports.analysis.datarows import Column

from ..frames import build_frame, missing_columns, value_labels, variable_labels
from ..rawdata import DataExporter, RawData

MAX_LABEL = 250


def _cut(text: str) -> str:
    return text[:MAX_LABEL]


def write_sav(path: Path | str, cols: list[Column], rows: Iterable[list[Any]]) -> int:
    df, count = build_frame(cols, rows)
    pyreadstat.write_sav(
        df, str(path),
        column_labels=variable_labels(cols, _cut),
        variable_value_labels=value_labels(cols, float, _cut, missing_key=float),
        variable_measure={c.code: "nominal" for c in cols if c.value_labels},
        # -1 and -9 are user-missing: SPSS leaves them out of every statistic but keeps the reason
        missing_ranges={code: [float(k) for k in missing.LABELS] for code in missing_columns(cols)},
    )
    return count


class SpssExporter(DataExporter):
    identifier = "sav"
    extensions = (".sav",)
    verbose_name = gettext_lazy("SPSS (.sav)")
    content_type = "application/octet-stream"  # no registered media type
    position = 30

    def write(self, path: Path | str, data: RawData) -> int:
        return write_sav(path, data.cols, data.rows)
