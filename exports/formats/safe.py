"""Making respondents' text safe for spreadsheets (the idea of pretix's helpers/safe_openpyxl.py).

Every workbook is a `SafeWorkbook`: its sheets are `SafeWriteOnlyWorksheet`s whose `append`
treats every string and every text cell of the row, so a new sheet cannot forget it.

- Characters XML 1.0 cannot hold (control characters except tab, newline, carriage return)
  are removed; otherwise the file would be corrupt.
- Text is cut at Excel's cell limit of 32,767 characters.
- In .xlsx, text is always written as a string cell (never a formula), so `=HYPERLINK(…)`
  shows as typed. In CSV there are no cell types, so text that starts with `=`, `+`, `-`,
  `@`, tab or carriage return gets a leading apostrophe (OWASP "CSV injection").
"""

from __future__ import annotations

import os
import re
import tempfile
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.worksheet import _writer as openpyxl_writer
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

ILLEGAL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
EXCEL_MAX_CHARS = 32_767
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def clean_text(value: str) -> str:
    if ILLEGAL_RE.search(value):
        value = ILLEGAL_RE.sub("", value)
    if len(value) > EXCEL_MAX_CHARS:
        value = value[:EXCEL_MAX_CHARS]
    return value


def xlsx_text(ws: Any, value: Any) -> Any:
    """A value for a write-only sheet: text is cleaned and never becomes a formula."""
    kind = value.__class__
    if kind is str:
        value = clean_text(value)
        if value.startswith("="):
            cell = WriteOnlyCell(ws, value)
            cell.data_type = "s"
            return cell
    elif kind is Cell and value.data_type in ("s", "f"):
        value.value = clean_text(value.value)
        value.data_type = "s"  # set after the value: openpyxl types "=…" as a formula
    return value


_TEXTUAL = frozenset((str, Cell))


class SafeWriteOnlyWorksheet(WriteOnlyWorksheet):
    """A streaming sheet whose rows go through `xlsx_text`, value by value."""

    def append(self, row: Any) -> None:
        # numbers and empty cells (most of a data row) pass without a call
        super().append([xlsx_text(self, v) if v.__class__ in _TEXTUAL else v for v in row])

    def _get_writer(self) -> None:
        # openpyxl streams each sheet through a temporary file; it goes into the workbook's own
        # directory, so a killed export leaves nothing in /tmp (exports/jobs/sweep.py removes it).
        if self._writer is None:
            fd, path = tempfile.mkstemp(suffix=".xml", prefix="sheet-", dir=self.parent.temp_dir)
            os.close(fd)
            openpyxl_writer.ALL_TEMP_FILES.append(path)  # openpyxl's cleanup() removes it from the list
            self._writer = openpyxl_writer.WorksheetWriter(self, out=path)
            self._writer.write_top()


class SafeWorkbook(Workbook):
    """A write-only workbook whose sheets are SafeWriteOnlyWorksheets; their temporary files go
    into `temp_dir` (default: the system's temporary directory)."""

    def __init__(self, temp_dir: str | None = None) -> None:
        super().__init__(write_only=True)
        self.temp_dir = temp_dir

    def create_sheet(self, title: str | None = None, index: int | None = None) -> SafeWriteOnlyWorksheet:
        sheet = SafeWriteOnlyWorksheet(parent=self, title=title)
        self._add_sheet(sheet=sheet, index=index)
        return sheet


def csv_text(value: Any) -> Any:
    if value.__class__ is not str:
        return value
    value = clean_text(value)
    if value.startswith(FORMULA_START):
        return "'" + value
    return value
