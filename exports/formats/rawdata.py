"""Formats of the raw data matrix (one row per response, one column per variable).

`DataExporter.export` reads everything from one snapshot: the result tables if the format writes
them, the columns and the rows in chunks (analysis/datarows.py); it applies the job's options (the
weight column, the publication variant: analysis/variants.py) and hands the rows to the format's
`write`, which only turns them into a file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from exports.analysis import aggregation, crosstab, datarows, variants
from exports.analysis.datarows import Column
from surveys.models import Survey

from .base import Exporter, ExportRequest, Progress


def _chunk_size() -> int:
    return int(os.getenv("EXPORT_CHUNK_SIZE", str(datarows.CHUNK_SIZE)))


@dataclass
class RawData:
    """What a raw data format writes; `rows` is an iterator that reads as it goes."""

    survey: Survey
    cols: list[Column]
    rows: Iterable[list[Any]]
    tables: dict[str, Any]  # the protected result tables; empty unless the format has `with_tables`
    progress: Progress


class DataExporter(Exporter):
    """A format of the raw data matrix: subclasses implement `write`."""

    # The workbook also writes the result tables (with the chosen cross-tabs, weighted if chosen).
    with_tables: ClassVar[bool] = False

    def export(self, path: Path | str, request: ExportRequest) -> int:
        report = request.progress
        survey, include_partial = request.survey, request.include_partial
        options = request.options
        spec = crosstab.Spec.from_dict({**options, "include_partial": include_partial} if options else None)
        with aggregation.snapshot():
            tables: dict[str, Any] = {}
            if self.with_tables:
                tables = variants.result_tables(survey, aggregation.compute_tables(survey, include_partial), spec,
                                                publication=request.publication)
            report(5)
            cols = datarows.columns(survey)
            if request.publication:  # tables only: no per-response data (analysis/protection.py)
                return self.write(path, RawData(survey, variants.publication(cols), iter(()), tables, report))
            total = max(1, datarows.count_rows(survey, include_partial))
            rows = datarows.iter_rows(survey, cols, include_partial, _chunk_size(),
                                      on_chunk=lambda done: report(5 + int(85 * done / total)))
            if spec is not None and spec.weighted:
                cols, rows = variants.with_weights(survey, cols, rows, include_partial)
            return self.write(path, RawData(survey, cols, rows, tables, report))

    def write(self, path: Path | str, data: RawData) -> int:
        """Write `data` to `path` (inside the snapshot); returns the number of rows written."""
        raise NotImplementedError
