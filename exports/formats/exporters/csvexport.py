"""The raw data as CSV for German Excel: `;` separated, UTF-8 with BOM, CRLF, decimal comma.

Text that would start a formula (`=`, `+`, `-`, `@`, tab, CR) gets a leading apostrophe.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_lazy

from exports.analysis.datarows import Column

from ..rawdata import DataExporter, RawData
from ..safe import csv_text


def _value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.10g}".replace(".", ",")
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y %H:%M:%S")
    return value


def write_csv(path: Path | str, cols: list[Column], rows: Iterable[list[Any]]) -> int:
    text_idx = [i for i, c in enumerate(cols) if c.is_text]
    count = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        writer.writerow([c.code for c in cols])
        for row in rows:
            for i in text_idx:
                if row[i] is not None:
                    row[i] = csv_text(row[i])
            writer.writerow([_value(v) for v in row])
            count += 1
    return count


class CsvExporter(DataExporter):
    identifier = "csv"
    extensions = (".csv",)
    verbose_name = gettext_lazy("CSV für Excel (.csv)")
    content_type = "text/csv"
    position = 20

    def write(self, path: Path | str, data: RawData) -> int:
        return write_csv(path, data.cols, data.rows)
