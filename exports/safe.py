"""Making respondents' text safe for spreadsheets (the idea of pretix's safe_openpyxl).

- Characters XML 1.0 cannot hold (control characters except tab, newline, carriage return)
  are removed; otherwise the file would be corrupt.
- Text is cut at Excel's cell limit of 32,767 characters.
- In .xlsx, text is always written as a string cell (never a formula), so `=HYPERLINK(…)`
  shows as typed. In CSV there are no cell types, so text that starts with `=`, `+`, `-`,
  `@`, tab or carriage return gets a leading apostrophe (OWASP "CSV injection").
"""

from __future__ import annotations

import re
from typing import Any

from openpyxl.cell import WriteOnlyCell

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
    """A value for a write-only sheet: str values never become formulas."""
    if value.__class__ is not str:
        return value
    value = clean_text(value)
    if value.startswith("="):
        cell = WriteOnlyCell(ws, value)
        cell.data_type = "s"
        return cell
    return value


def csv_text(value: Any) -> Any:
    if value.__class__ is not str:
        return value
    value = clean_text(value)
    if value.startswith(FORMULA_START):
        return "'" + value
    return value
