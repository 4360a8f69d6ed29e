"""An empty register to download from the upload page, with the expected header and one example row."""

from __future__ import annotations

import csv
import io

from .check import COLUMNS

# One example row; nothing in it starts with = + - @, so no spreadsheet runs it as a formula.
TEMPLATE_EXAMPLE = {
    "ags": "05315000", "name": "Stadt Köln", "land": "Nordrhein-Westfalen", "typ": "kreisfreie Stadt",
    "einwohner": 1_084_831, "email": "befragung@stadt-koeln.example", "ansprechpartner": "Erika Mustermann",
}


def template_csv() -> bytes:
    """The register template as CSV for German Excel: `;`, UTF-8 with BOM, CRLF."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerow([TEMPLATE_EXAMPLE[c] for c in COLUMNS])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def template_xlsx() -> bytes:
    """The register template as XLSX; the AGS column is text so Excel keeps the leading zero."""
    from openpyxl import Workbook  # only when the template is downloaded: it loads slowly

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Register"
    sheet.append(COLUMNS)
    sheet.append([TEMPLATE_EXAMPLE[c] for c in COLUMNS])
    for row in sheet.iter_rows(min_row=1, max_row=1000, min_col=1, max_col=1):
        row[0].number_format = "@"
    for cell in sheet[2]:
        cell.data_type = "n" if isinstance(cell.value, int) else "s"
    for letter, width in zip("ABCDEFG", (12, 28, 24, 18, 12, 34, 24), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
