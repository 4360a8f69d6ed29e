"""The member register file: read a CSV/XLSX file and check it completely, writing nothing.

`check_register` returns every problem it finds (by row as a spreadsheet user counts them — the
header is row 1 — and by column); apply.py writes the valid rows of a check. File-level problems
(unreadable file, wrong headers) can never be skipped.

Decisions, documented here because users will ask:
- Encoding: UTF-8 with or without BOM (Excel's "CSV UTF-8"). Anything else (Excel's legacy
  "CSV (Trennzeichen-getrennt)" is Windows-1252) is refused with a hint to save as CSV UTF-8:
  guessing an 8-bit code page would silently turn binary garbage into "text".
- Delimiter: `;` or `,`, taken from the header line (the header names contain neither).
- Headers: case, surrounding whitespace and a BOM are ignored; the order is free; missing,
  unknown and repeated headers are all reported.
- Population (einwohner): a whole non-negative number. German thousands separators are
  accepted when they are unambiguous ("12.345", "1.234.567", also with spaces "12 345");
  "12,5", "12.5", "-3" and words are refused. XLSX numbers must be whole.
- AGS: 8 digits (municipality) or 5 digits (county). Excel drops leading zeros, so a 7- or
  4-digit key is repaired with a leading "0" only when the repaired key's Land prefix
  (01 Schleswig-Holstein … 09 Bayern) matches the row's Land; otherwise it is reported.
- Land and typ: compared case-insensitively, "ae/oe/ue/ss" accepted for umlauts; stored in
  the canonical spelling of the codebook.
- Completely empty rows (Excel leaves `;;;;;;` lines) are ignored.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field, replace

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from surveys.spreadsheets import Limits, SpreadsheetRefused, bounded_rows, check_table_row, check_xlsx

from ..models import LAENDER, TYPEN, Member

COLUMNS = ["ags", "name", "land", "typ", "einwohner", "email", "ansprechpartner"]
REQUIRED_TEXT = {"name"}
MAX_EINWOHNER = 100_000_000
MAX_ROWS = 100_000
# Header + MAX_ROWS rows of the seven columns, with room for a few extra columns a spreadsheet adds.
# The readers stop after MAX_ROWS + 2 rows so that check_register reports "too_many_rows" itself.
LIMITS = Limits(max_rows=MAX_ROWS + 3, max_columns=100, max_cells=(MAX_ROWS + 2) * 12)
LAND_PREFIX = {land: f"{n:02d}" for n, land in enumerate(
    ["Schleswig-Holstein", "Hamburg", "Niedersachsen", "Bremen", "Nordrhein-Westfalen", "Hessen",
     "Rheinland-Pfalz", "Baden-Württemberg", "Bayern", "Saarland", "Berlin", "Brandenburg",
     "Mecklenburg-Vorpommern", "Sachsen", "Sachsen-Anhalt", "Thüringen"], start=1)}


# (English for the CLI, German for the staff upload page); {value} etc. are filled in.
MESSAGES: dict[str, tuple[str, str]] = {
    "empty": ("the file is empty", "Die Datei ist leer."),
    "no_rows": ("the file has a header but no data rows", "Die Datei enthält nur die Kopfzeile, aber keine Daten."),
    "too_many_rows": (f"the file has more than {MAX_ROWS} rows", f"Die Datei hat mehr als {MAX_ROWS} Zeilen."),
    "not_text": (
        "the file is neither an XLSX workbook nor UTF-8 text (binary data or another encoding); "
        "save it from Excel as 'CSV UTF-8' or as an Excel workbook (.xlsx)",
        "Die Datei ist weder eine Excel-Arbeitsmappe (.xlsx) noch Text in UTF-8 (Binärdaten oder andere "
        "Kodierung). Bitte in Excel als „CSV UTF-8“ oder als Excel-Arbeitsmappe speichern.",
    ),
    "bad_xlsx": ("the file looks like an XLSX workbook but cannot be read: {value}",
                 "Die Datei sieht wie eine Excel-Arbeitsmappe aus, lässt sich aber nicht lesen: {value}"),
    "bad_csv": ("the CSV file cannot be read: {value}", "Die CSV-Datei lässt sich nicht lesen: {value}"),
    "missing_header": ("required column '{value}' is missing", "Die Pflichtspalte „{value}“ fehlt."),
    "extra_header": ("unknown column '{value}' (expected: {expected})",
                     "Unbekannte Spalte „{value}“ (erwartet: {expected})."),
    "empty_header": ("a column has no header (expected: {expected})",
                     "Eine Spalte hat keine Überschrift (erwartet: {expected})."),
    "dup_header": ("column '{value}' appears more than once", "Die Spalte „{value}“ kommt mehrfach vor."),
    "extra_cells": ("the row has more cells than the header", "Die Zeile hat mehr Zellen als die Kopfzeile."),
    "ags_format": ("'{value}' is not an AGS (5 or 8 digits)", "„{value}“ ist kein AGS (5 oder 8 Ziffern)."),
    "ags_dup": ("AGS '{value}' appears more than once in the file (rows {rows})",
                "Der AGS „{value}“ kommt in der Datei mehrfach vor (Zeilen {rows})."),
    "required": ("a value is required", "Hier fehlt ein Wert."),
    "too_long": ("'{value}' is longer than {max} characters", "„{value}“ ist länger als {max} Zeichen."),
    "land": ("'{value}' is not a German Land (one of the 16, e.g. 'Nordrhein-Westfalen')",
             "„{value}“ ist kein Bundesland (eines der 16, z. B. „Nordrhein-Westfalen“)."),
    "typ": ("'{value}' is not a known type (Gemeinde, Stadt, kreisfreie Stadt, Landkreis)",
            "„{value}“ ist kein bekannter Typ (Gemeinde, Stadt, kreisfreie Stadt, Landkreis)."),
    "einwohner": ("'{value}' is not a whole non-negative number", "„{value}“ ist keine ganze Zahl ab 0."),
    "einwohner_big": ("'{value}' is larger than {max}", "„{value}“ ist größer als {max}."),
    "email": ("'{value}' is not a valid e-mail address", "„{value}“ ist keine gültige E-Mail-Adresse."),
}


@dataclass(frozen=True)
class Problem:
    """One reason the file cannot be imported as it is.

    `row` counts like a spreadsheet (header = 1); 0 means the whole file. `column` is the
    column name or "" for file-level problems. `fatal` problems cannot be skipped.
    """

    row: int
    column: str
    message: str
    message_de: str
    fatal: bool = False

    def __str__(self) -> str:
        if self.row == 0:
            return f"file: {self.message}"
        if not self.column:
            return f"row {self.row}: {self.message}"
        return f"row {self.row}, column {self.column}: {self.message}"

    @property
    def text_de(self) -> str:
        if self.row == 0:
            return self.message_de
        if not self.column:
            return f"Zeile {self.row}: {self.message_de}"
        return f"Zeile {self.row}, Spalte {self.column}: {self.message_de}"


def _problem(row: int, column: str, key: str, fatal: bool = False, **params: object) -> Problem:
    en, de = MESSAGES[key]
    params = {k: (_shorten(v) if k == "value" else v) for k, v in params.items()}
    return Problem(row, column, en.format(**params), de.format(**params), fatal)


def _shorten(value: object, limit: int = 60) -> str:
    text = str(value).replace("\n", " ").replace("\r", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class RegisterRow:
    row: int
    ags: str
    name: str
    land: str
    typ: str
    einwohner: int
    email: str
    ansprechpartner: str
    is_new: bool = True

    def member_fields(self) -> dict[str, object]:
        return {c: getattr(self, c) for c in COLUMNS if c != "ags"}


@dataclass
class RegisterCheck:
    filename: str
    rows: list[RegisterRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    total_rows: int = 0  # non-empty data rows in the file

    @property
    def is_clean(self) -> bool:
        return not self.problems

    @property
    def has_fatal(self) -> bool:
        return any(p.fatal for p in self.problems)

    @property
    def new_count(self) -> int:
        return sum(1 for r in self.rows if r.is_new)

    @property
    def update_count(self) -> int:
        return sum(1 for r in self.rows if not r.is_new)

    @property
    def invalid_count(self) -> int:
        return self.total_rows - len(self.rows)


# --- reading ---------------------------------------------------------------------------

def _read_table(data: bytes, filename: str, problems: list[Problem]) -> list[list[object]] | None:
    """The file as a list of rows of cell values, or None (with a fatal problem)."""
    if not data.strip(b" \t\r\n\x00") or data.strip() == b"\xef\xbb\xbf":
        problems.append(_problem(0, "", "empty", fatal=True))
        return None
    try:
        if data[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm")):
            check_xlsx(data, LIMITS)
            return _read_xlsx(data, problems)
        return _read_csv(data, problems)
    except SpreadsheetRefused as exc:
        problems.append(Problem(0, "", f"the file is not read: {exc.english}",
                                f"Die Datei wird nicht gelesen: {exc.german_text}", fatal=True))
        return None


def _read_xlsx(data: bytes, problems: list[Problem]) -> list[list[object]] | None:
    from openpyxl import load_workbook  # only when a workbook comes: most registers are CSV, and it loads slowly

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        if data[:4] != b"PK\x03\x04":
            problems.append(_problem(0, "", "not_text", fatal=True))
        else:
            problems.append(_problem(0, "", "bad_xlsx", fatal=True, value=type(exc).__name__))
        return None
    except Exception as exc:  # openpyxl raises many kinds of errors on malformed files
        problems.append(_problem(0, "", "bad_xlsx", fatal=True, value=type(exc).__name__))
        return None
    try:
        sheet = workbook.worksheets[0]
        table = []
        for values in bounded_rows(sheet, LIMITS):
            table.append(list(values))
            if len(table) > MAX_ROWS + 1:
                break
        return table
    finally:
        workbook.close()


def _read_csv(data: bytes, problems: list[Problem]) -> list[list[object]] | None:
    if b"\x00" in data:
        problems.append(_problem(0, "", "not_text", fatal=True))
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        problems.append(_problem(0, "", "not_text", fatal=True))
        return None
    if any(ord(ch) < 32 and ch not in "\t\r\n" for ch in text[:4096]):
        problems.append(_problem(0, "", "not_text", fatal=True))
        return None
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = ";" if first_line.count(";") >= first_line.count(",") and ";" in first_line else ","
    try:
        table: list[list[object]] = []
        cells = 0
        for number, record in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter,
                                                   strict=False), start=1):
            cells = check_table_row(record, number, cells, LIMITS)
            table.append(list(record))
            if len(table) > MAX_ROWS + 1:
                break
        return table
    except csv.Error as exc:
        problems.append(_problem(0, "", "bad_csv", fatal=True, value=str(exc)))
        return None


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _header_name(value: object) -> str:
    return _cell_text(value).replace("\ufeff", "").strip().lower()


# --- validating ------------------------------------------------------------------------

def _fold(text: str) -> str:
    text = text.strip().lower()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(a, b)
    return re.sub(r"\s+", " ", text)


_LAND_LOOKUP = {_fold(land): land for land in LAENDER}
_TYP_LOOKUP = {_fold(typ): typ for typ in TYPEN}
_GERMAN_THOUSANDS = re.compile(r"^\d{1,3}([. \u00a0\u202f]\d{3})+$")


def _parse_einwohner(raw: object) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if raw >= 0 else None
    if isinstance(raw, float):
        return int(raw) if raw.is_integer() and raw >= 0 else None
    text = _cell_text(raw)
    if text.isdigit() and text.isascii():
        return int(text)
    if _GERMAN_THOUSANDS.match(text):
        return int(re.sub(r"\D", "", text))
    return None


def _parse_ags(raw: object, land: str | None) -> str | None:
    text = _cell_text(raw)
    if not (text.isdigit() and text.isascii()):
        return None
    if len(text) in (5, 8):
        return text
    if len(text) in (4, 7) and land and LAND_PREFIX.get(land, "").startswith("0"):
        repaired = "0" + text
        if repaired.startswith(LAND_PREFIX[land]):
            return repaired
    return None


def _check_row(number: int, cells: dict[str, object], problems: list[Problem]) -> RegisterRow | None:
    before = len(problems)
    text = {c: _cell_text(cells.get(c)) for c in COLUMNS}

    land = _LAND_LOOKUP.get(_fold(text["land"]))
    if not text["land"]:
        problems.append(_problem(number, "land", "required"))
    elif land is None:
        problems.append(_problem(number, "land", "land", value=text["land"]))

    ags = _parse_ags(cells.get("ags"), land)
    if not text["ags"]:
        problems.append(_problem(number, "ags", "required"))
    elif ags is None:
        problems.append(_problem(number, "ags", "ags_format", value=text["ags"]))

    for column, limit in (("name", 200), ("ansprechpartner", 200)):
        if column in REQUIRED_TEXT and not text[column]:
            problems.append(_problem(number, column, "required"))
        elif len(text[column]) > limit:
            problems.append(_problem(number, column, "too_long", value=text[column], max=limit))

    typ = _TYP_LOOKUP.get(_fold(text["typ"]))
    if not text["typ"]:
        problems.append(_problem(number, "typ", "required"))
    elif typ is None:
        problems.append(_problem(number, "typ", "typ", value=text["typ"]))

    einwohner = _parse_einwohner(cells.get("einwohner"))
    if not text["einwohner"]:
        problems.append(_problem(number, "einwohner", "required"))
    elif einwohner is None:
        problems.append(_problem(number, "einwohner", "einwohner", value=text["einwohner"]))
    elif einwohner > MAX_EINWOHNER:
        problems.append(_problem(number, "einwohner", "einwohner_big", value=text["einwohner"], max=MAX_EINWOHNER))

    email = text["email"]
    if not email:
        problems.append(_problem(number, "email", "required"))
    else:
        try:
            validate_email(email)
            if len(email) > 254:
                raise ValidationError("too long")
        except ValidationError:
            problems.append(_problem(number, "email", "email", value=email))

    if len(problems) > before:
        return None
    return RegisterRow(number, ags, text["name"], land, typ, einwohner, email, text["ansprechpartner"])


def _check_header(header: list[object], problems: list[Problem]) -> dict[str, int] | None:
    expected = ";".join(COLUMNS)
    positions: dict[str, int] = {}
    ok = True
    names = [_header_name(raw) for raw in header]
    last_named = max((i for i, name in enumerate(names) if name), default=-1)  # once: linear in the width
    for index, name in enumerate(names):
        if not name:
            # Trailing empty header cells (Excel) are harmless; an empty one in between is not.
            if index < last_named:
                problems.append(_problem(1, "", "empty_header", fatal=True, expected=expected))
                ok = False
            continue
        if name not in COLUMNS:
            problems.append(_problem(1, _shorten(name, 40), "extra_header", fatal=True, value=name, expected=expected))
            ok = False
        elif name in positions:
            problems.append(_problem(1, name, "dup_header", fatal=True, value=name))
            ok = False
        else:
            positions[name] = index
    for column in COLUMNS:
        if column not in positions:
            problems.append(_problem(1, column, "missing_header", fatal=True, value=column))
            ok = False
    return positions if ok else None


def check_register(data: bytes, filename: str) -> RegisterCheck:
    """Parse and validate a register file completely; writes nothing."""
    check = RegisterCheck(filename=filename)
    table = _read_table(data, filename, check.problems)
    if table is None:
        return check
    records = [(n, r) for n, r in enumerate(table, start=1) if any(_cell_text(v) for v in r)]
    if not records:
        check.problems.append(_problem(0, "", "empty", fatal=True))
        return check
    if len(table) > MAX_ROWS + 1:
        check.problems.append(_problem(0, "", "too_many_rows", fatal=True))
        return check
    _, header = records[0]  # blank lines above the header are skipped; rows keep their spreadsheet number
    positions = _check_header(header, check.problems)
    if positions is None:
        return check
    width = max(positions.values()) + 1

    by_ags: dict[str, list[int]] = {}
    candidates: list[RegisterRow] = []
    for number, record in records[1:]:
        check.total_rows += 1
        cells = {c: (record[i] if i < len(record) else None) for c, i in positions.items()}
        row_problems: list[Problem] = []
        if any(_cell_text(v) for v in record[width:]):
            row_problems.append(_problem(number, "", "extra_cells"))
        parsed = _check_row(number, cells, row_problems)
        check.problems.extend(row_problems)
        land = _LAND_LOOKUP.get(_fold(_cell_text(cells.get("land"))))
        ags = parsed.ags if parsed else _parse_ags(cells.get("ags"), land)
        if ags:
            by_ags.setdefault(ags, []).append(number)
        if parsed and not row_problems:
            candidates.append(parsed)
    if check.total_rows == 0:
        check.problems.append(_problem(0, "", "no_rows", fatal=True))
        return check

    duplicates = {ags: rows for ags, rows in by_ags.items() if len(rows) > 1}
    for ags, rows in duplicates.items():
        listed = ", ".join(str(r) for r in rows)
        for number in rows:
            check.problems.append(_problem(number, "ags", "ags_dup", value=ags, rows=listed))
    check.problems.sort(key=lambda p: (p.row, COLUMNS.index(p.column) if p.column in COLUMNS else -1))

    check.rows = [row for row in candidates if row.ags not in duplicates]
    return with_current_members(check)


def with_current_members(check: RegisterCheck) -> RegisterCheck:
    """The check with each row marked new or known by today's register (one query); the rest of a
    check depends on the file alone, so a kept check needs only this to be current again."""
    existing = set(Member.objects.filter(ags__in=[r.ags for r in check.rows]).values_list("ags", flat=True))
    check.rows = [replace(row, is_new=row.ags not in existing) for row in check.rows]
    return check
