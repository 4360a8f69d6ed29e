"""Sheets of an XLSForm workbook as rows of text, each problem with its sheet, row and column.

Reading cells is a few lines of openpyxl; the header row names the columns, and translated columns
(`label::English (en)`) are told apart by their language code.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from surveys.definition_errors import DefinitionError, Message
from surveys.spreadsheets import Limits, bounded_rows

from .layout import ENGLISH, GERMAN

MAX_ROWS, MAX_COLUMNS = 50_000, 200
# bounded_rows stops one row later, so the questionnaire's own "more than MAX_ROWS rows" message is shown.
LIMITS = Limits(max_rows=MAX_ROWS + 1, max_columns=MAX_COLUMNS, max_cells=500_000)


@dataclass
class Problem:
    sheet: str
    row: int | None
    column: str | None
    reason: str  # a Message: English as the string, German via message()

    def __str__(self) -> str:
        where = f"sheet {self.sheet!r}"
        if self.row:
            where += f", row {self.row}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.reason}"

    def text(self) -> Message:
        """The problem as a Message: `str()` is the English line above, `message()` the German one."""
        if self.row and self.column:
            where = Message("", _("Tabellenblatt „%(sheet)s“, Zeile %(row)s, Spalte %(column)s"),
                            sheet=self.sheet, row=self.row, column=self.column)
        elif self.row:
            where = Message("", _("Tabellenblatt „%(sheet)s“, Zeile %(row)s"), sheet=self.sheet, row=self.row)
        elif self.column:
            where = Message("", _("Tabellenblatt „%(sheet)s“, Spalte %(column)s"), sheet=self.sheet,
                            column=self.column)
        else:
            where = Message("", _("Tabellenblatt „%(sheet)s“"), sheet=self.sheet)
        return Message(str(self), _("%(where)s: %(problem)s"), where=where, problem=self.reason)


# --- cells ---------------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    """A cell as text: Excel numbers 1 / 1.0 → "1", dates → ISO, everything stripped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


_LANG_NAMES = {"deutsch": "de", "german": "de", "english": "en", "englisch": "en"}


def language_code(name: str) -> str | None:
    match = re.search(r"\(([A-Za-z-]+)\)\s*$", name)
    if match:
        return match.group(1).lower()
    return _LANG_NAMES.get(name.strip().lower())


@dataclass
class Sheet:
    """One sheet read into rows of {header: text}, remembering where each header is."""

    name: str
    headers: dict[str, int]  # header text (as written) → column index (1-based)
    rows: list[tuple[int, dict[str, str]]]

    def column(self, header: str) -> str:
        # Imported on use: openpyxl's import takes tenths of a second that every web process would pay at start.
        from openpyxl.utils import get_column_letter

        index = self.headers.get(header)
        return f"{header} ({get_column_letter(index)})" if index else header

    def problem(self, row: int | None, header: str | None, reason: str) -> Problem:
        return Problem(self.name, row, self.column(header) if header else None, reason)


def read_sheet(ws: Any) -> Sheet:
    """Rows below the first non-empty row (the header), numbered as Excel shows them; empty rows skipped."""
    headers: dict[str, int] = {}
    rows: list[tuple[int, dict[str, str]]] = []
    # Bounded: a small file may declare a huge sheet; no questionnaire needs more than this.
    # Rows by content (bounded_rows ignores the <dimension> claim) and bounded in columns and cells.
    rows_read = bounded_rows(ws, LIMITS)
    for number, values in enumerate(rows_read, start=1):
        if number > MAX_ROWS:
            raise DefinitionError(Message(
                f"sheet {ws.title!r} has more than {MAX_ROWS} rows; that is not a questionnaire",
                _("Das Tabellenblatt „%(sheet)s“ hat mehr als %(limit)s Zeilen; das ist kein Fragebogen."),
                sheet=ws.title, limit=MAX_ROWS))
        texts = [cell_text(v) for v in values]
        if not headers:
            headers = {cell: i + 1 for i, cell in enumerate(texts) if cell}
            continue
        cells = {header: texts[i - 1] for header, i in headers.items() if i - 1 < len(texts)}
        if any(cells.values()):
            rows.append((number, cells))
    return Sheet(ws.title, headers, rows)


# --- languages -----------------------------------------------------------------------------


@dataclass
class Languages:
    """Which header holds the main (German) and which the English text of a translated column."""

    main: dict[str, str] = field(default_factory=dict)  # base ("label") → header
    english: dict[str, str] = field(default_factory=dict)


def languages(sheet: Sheet, default: str | None, problems: list[Problem], allowed: Iterable[str]) -> Languages:
    langs = Languages()
    allowed = set(allowed)
    for header in sheet.headers:
        base, sep, lang = header.partition("::")
        base = base.strip().lower().replace(" ", "_")
        if base not in allowed:
            continue
        code = language_code(lang) if sep else default
        if sep and code is None:
            problems.append(sheet.problem(None, header, Message(
                f"language {lang.strip()!r} has no code; write it like {GERMAN!r} or {ENGLISH!r}",
                _("Die Sprache „%(lang)s“ hat kein Kürzel; bitte so schreiben: „%(german)s“ oder „%(english)s“."),
                lang=lang.strip(), german=GERMAN, english=ENGLISH)))
            continue
        if code == default or code is None:
            target = langs.main
        elif code == "en":
            target = langs.english
        else:
            problems.append(sheet.problem(None, header, Message(
                f"language {lang.strip()!r} is not supported: questions are asked in German, with an optional "
                "English translation",
                _("Die Sprache „%(lang)s“ wird nicht unterstützt: Gefragt wird auf Deutsch, auf Wunsch mit "
                  "englischer Übersetzung."), lang=lang.strip())))
            continue
        if base in target:
            problems.append(sheet.problem(None, header, Message(
                f"a second column for the same text as {target[base]!r}",
                _("Eine zweite Spalte für denselben Text wie „%(other)s“."), other=target[base])))
            continue
        target[base] = header
    return langs


def known_columns(sheet: Sheet, allowed: Iterable[str], problems: list[Problem]) -> dict[str, str]:
    """Plain (untranslated) header per base name; unknown columns with content are refused."""
    allowed = set(allowed)
    plain: dict[str, str] = {}
    for header in sheet.headers:
        base = header.partition("::")[0].strip().lower().replace(" ", "_")
        if base in allowed:
            if "::" not in header:
                plain.setdefault(base, header)
            continue
        filled = next((number for number, cells in sheet.rows if cells.get(header)), None)
        if filled is not None:
            problems.append(sheet.problem(filled, header, Message(
                f"column {header!r} is not supported", _("Die Spalte „%(column)s“ wird nicht unterstützt."),
                column=header)))
    return plain
