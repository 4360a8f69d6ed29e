"""Bounded reading of uploaded XLSX workbooks and CSV tables: no upload can take a worker down.

An .xlsx file is a ZIP of XML files. openpyxl trusts it: it loads every shared string into memory
when the workbook is opened and pads rows to the size the sheet's `<dimension>` claims. So before
openpyxl sees a workbook, `check_xlsx` looks at the archive (member count, declared sizes,
compression ratio; zipfile never inflates a member past its declared size) and streams every XML
member once through expat, counting elements, shared strings, cells and text lengths and stopping
at the first limit. `bounded_rows` then reads a sheet by its content, not by its `<dimension>`,
and stops at the row, column, cell and string limits. Each refusal names the limit in English (CLI)
and German (staff area).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from xml.parsers import expat

from django.utils.translation import gettext_lazy as _

CHUNK = 64 * 1024


@dataclass(frozen=True)
class Limits:
    max_rows: int
    max_columns: int = 1_000
    max_cells: int = 500_000
    max_string: int = 32_767  # Excel's own limit for one cell
    max_shared_strings: int = 200_000
    max_shared_chars: int = 20_000_000
    max_elements: int = 2_000_000
    max_members: int = 500
    max_member_bytes: int = 30_000_000
    max_unpacked_bytes: int = 60_000_000
    max_ratio: int = 200  # deflate ratio above this (on a member over 1 MB) is a bomb, not a spreadsheet


class SpreadsheetRefused(Exception):
    """The file breaks a limit; `english` for the CLI, `german` (gettext with %(name)s params) for the UI."""

    def __init__(self, english: str, german: Any, **params: Any) -> None:
        super().__init__(english)
        self.english, self.german, self.params = english, german, params

    @property
    def german_text(self) -> str:
        return str(self.german) % self.params


def check_xlsx(data: bytes, limits: Limits) -> None:
    """Refuse a workbook whose archive or XML breaks a limit, before anything builds objects from it.

    A file that is not a ZIP passes: the caller's reader reports it as unreadable in its own words."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    with archive:
        members = archive.infolist()
        if len(members) > limits.max_members:
            raise SpreadsheetRefused(f"the workbook has more than {limits.max_members} parts",
                                     _("Die Arbeitsmappe hat mehr als %(limit)s Bestandteile."),
                                     limit=limits.max_members)
        total = 0
        for member in members:
            total += member.file_size
            if member.file_size > limits.max_member_bytes or total > limits.max_unpacked_bytes:
                raise SpreadsheetRefused(
                    f"the workbook unpacks to more than {limits.max_unpacked_bytes // 1_000_000} MB "
                    f"({member.filename}: {member.file_size} bytes)",
                    _("Die Arbeitsmappe ist entpackt größer als %(limit)s MB (%(part)s: %(size)s Bytes)."),
                    limit=limits.max_unpacked_bytes // 1_000_000, part=member.filename, size=member.file_size)
            if member.file_size > 1_000_000 and member.file_size > limits.max_ratio * max(member.compress_size, 1):
                raise SpreadsheetRefused(
                    f"{member.filename} is compressed more than {limits.max_ratio}:1; that is no spreadsheet",
                    _("%(part)s ist mehr als %(ratio)s:1 komprimiert; das ist keine Tabelle."),
                    part=member.filename, ratio=limits.max_ratio)
        scan = _XmlScan(limits)
        for member in members:
            if member.filename.lower().endswith((".xml", ".rels")):
                try:
                    with archive.open(member) as stream:
                        scan.feed(stream, member.filename)
                except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError, EOFError):
                    return  # unreadable member: openpyxl reports the file as unreadable


class _XmlScan:
    """Counts over all XML parts of one workbook; raises at the first limit reached."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.elements = self.shared = self.shared_chars = self.cells = 0
        self.in_shared = False
        self.run = 0  # characters of the text node being read

    def feed(self, stream: Any, name: str) -> None:
        parser = expat.ParserCreate()
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.CharacterDataHandler = self.text
        parser.StartDoctypeDeclHandler = self.doctype
        parser.buffer_text = True
        try:
            while chunk := stream.read(CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
        except expat.ExpatError:
            return  # malformed XML: openpyxl refuses it with the ordinary "cannot be read"

    def doctype(self, *args: Any) -> None:
        raise SpreadsheetRefused("the workbook contains a DOCTYPE declaration; Excel never writes one",
                                 _("Die Arbeitsmappe enthält eine DOCTYPE-Deklaration; Excel schreibt so etwas nie."))

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        self.elements += 1
        self.run = 0
        if self.elements > self.limits.max_elements:
            raise SpreadsheetRefused(f"the workbook has more than {self.limits.max_elements} XML elements",
                                     _("Die Arbeitsmappe hat mehr als %(limit)s XML-Elemente."),
                                     limit=self.limits.max_elements)
        local = tag.rpartition(":")[2]
        if local == "si":
            self.shared += 1
            if self.shared > self.limits.max_shared_strings:
                raise SpreadsheetRefused(
                    f"the workbook has more than {self.limits.max_shared_strings} shared strings",
                    _("Die Arbeitsmappe hat mehr als %(limit)s gemeinsame Zeichenketten (shared strings)."),
                    limit=self.limits.max_shared_strings)
        elif local == "sst":
            self.in_shared = True
        elif local == "c":
            self.cells += 1
            if self.cells > self.limits.max_cells:
                raise too_many_cells(self.limits)

    def end(self, tag: str) -> None:
        self.run = 0
        if tag.rpartition(":")[2] == "sst":
            self.in_shared = False

    def text(self, data: str) -> None:
        self.run += len(data)
        if self.run > self.limits.max_string:
            raise too_long_string(self.limits)
        if self.in_shared:
            self.shared_chars += len(data)
            if self.shared_chars > self.limits.max_shared_chars:
                raise SpreadsheetRefused(
                    f"the shared strings of the workbook are longer than {self.limits.max_shared_chars} characters",
                    _("Die gemeinsamen Zeichenketten der Arbeitsmappe sind zusammen länger als %(limit)s Zeichen."),
                    limit=self.limits.max_shared_chars)


def too_many_cells(limits: Limits) -> SpreadsheetRefused:
    return SpreadsheetRefused(f"the table has more than {limits.max_cells} cells",
                              _("Die Tabelle hat mehr als %(limit)s Zellen."), limit=limits.max_cells)


def too_long_string(limits: Limits) -> SpreadsheetRefused:
    return SpreadsheetRefused(f"a cell holds more than {limits.max_string} characters",
                              _("Eine Zelle enthält mehr als %(limit)s Zeichen."), limit=limits.max_string)


def too_many_columns(limits: Limits, row: int) -> SpreadsheetRefused:
    return SpreadsheetRefused(f"row {row} has more than {limits.max_columns} columns",
                              _("Zeile %(row)s hat mehr als %(limit)s Spalten."), row=row, limit=limits.max_columns)


def too_many_rows(limits: Limits) -> SpreadsheetRefused:
    return SpreadsheetRefused(f"the table has more than {limits.max_rows} rows",
                              _("Die Tabelle hat mehr als %(limit)s Zeilen."), limit=limits.max_rows)


def bounded_rows(worksheet: Any, limits: Limits) -> Iterator[tuple[Any, ...]]:
    """The rows of a read-only openpyxl sheet by content (the `<dimension>` claim is ignored), each
    at most `max_columns` wide after trailing empty cells are dropped; raises at the first limit."""
    worksheet.reset_dimensions()
    cells = 0
    for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
        if number > limits.max_rows:
            raise too_many_rows(limits)
        width = len(values)
        while width and values[width - 1] is None:
            width -= 1
        if width > limits.max_columns:
            raise too_many_columns(limits, number)
        cells += width
        if cells > limits.max_cells:
            raise too_many_cells(limits)
        yield values[:width]


def check_table_row(record: list[str], number: int, cells: int, limits: Limits) -> int:
    """For CSV: the running cell count after this row; raises at the column, cell or string limit.

    Empty cells count too: a CSV line of 100,000 separators is no register."""
    width = len(record)
    if width > limits.max_columns:
        raise too_many_columns(limits, number)
    if number > limits.max_rows:
        raise too_many_rows(limits)
    cells += width
    if cells > limits.max_cells:
        raise too_many_cells(limits)
    if any(len(value) > limits.max_string for value in record):
        raise too_long_string(limits)
    return cells
