"""The raw data as an R data frame (.rds) with variable labels and value labels.

R gets every column with a "label" attribute holding its variable label — the attribute haven,
labelled, sjlabelled and RStudio's data viewer read (`attr(df$B1_nutzung, "label")`) — and the coded
variables as factors whose levels are the value labels; dates are POSIXct (in the project's time zone), numbers doubles,
texts character vectors. `readRDS()` needs no package to read it. A question variable without a
value is NA, and its attribute "na_reason" (a character vector as long as the column) says why for
each NA — "nicht gezeigt (Filter)" or "keine Angabe" — and is NA where there is a value
(`table(attr(df$G2_einfuehrung, "na_reason"))`; exports/analysis/missing.py).

Why written here and not by a library: pyreadr (used before) writes no attributes at all, so the
variable labels were missing. The `rdata` package's writer can write attributes, but it serialises
every string as a Python object through numpy one by one: measured on this machine, 20,000 rows ×
60 columns took 117 s (about 0.6 ms per string), so a 100,000-response export would take the better
part of an hour. R's serialisation format (R Internals, "Serialization Formats": XDR, version 3) is
small and stable for the few types a data frame needs, so this module writes it directly: numeric
columns as whole big-endian arrays, strings with one `struct.pack` each, gzip-compressed as
`saveRDS()` does. The tests read the files back with two independent readers (pyreadr's librdata and
rdata's parser, which also returns the attributes).
"""

from __future__ import annotations

import gzip
import math
import struct
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy

from exports.analysis import missing
from exports.analysis.datarows import Column

from ..rawdata import DataExporter, RawData
from ..safe import clean_text

# SEXP types and flags (R Internals, section 1.8)
NILVALUE_SXP, SYMSXP, LISTSXP, CHARSXP, INTSXP, REALSXP, STRSXP, VECSXP = 254, 1, 2, 9, 13, 14, 16, 19
IS_OBJECT, HAS_ATTR, HAS_TAG = 1 << 8, 1 << 9, 1 << 10
UTF8_MASK, ASCII_MASK = 1 << 3, 1 << 6
NA_INTEGER = -(2**31)
# R's NA_real_ is a NaN with the low word 1954 (not any NaN: is.na() is TRUE for both, but only
# this one prints as NA)
NA_REAL = struct.pack(">II", 0x7FF00000, 1954)
R_VERSION = (4 << 16) | (2 << 8) | 1  # written as "by R 4.2.1"; any R >= 3.5 reads version 3
MIN_READER = (3 << 16) | (5 << 8) | 0


class _Writer:
    def __init__(self, out: IO[bytes]) -> None:
        self.out = out

    def int(self, value: int) -> None:
        self.out.write(struct.pack(">i", value))

    def flags(self, sexp: int, *, obj: bool = False, attr: bool = False, tag: bool = False, gp: int = 0) -> None:
        self.int(sexp | (IS_OBJECT if obj else 0) | (HAS_ATTR if attr else 0) | (HAS_TAG if tag else 0)
                 | (gp << 12))

    def char(self, text: str | None) -> None:
        if text is None:
            self.int(CHARSXP)
            self.int(-1)  # NA_character_
            return
        raw = text.encode("utf-8")
        gp = ASCII_MASK if raw.isascii() else UTF8_MASK
        self.out.write(struct.pack(">ii", CHARSXP | (gp << 12), len(raw)))
        self.out.write(raw)

    def strings(self, values: list[str | None], attributes: list[tuple[str, Any]] | None = None) -> None:
        self.flags(STRSXP, obj=_is_object(attributes), attr=bool(attributes))
        self.int(len(values))
        pack = struct.pack
        write = self.out.write
        for text in values:  # the one per-element loop: a length word and the bytes
            if text is None:
                write(pack(">ii", CHARSXP, -1))
                continue
            raw = text.encode("utf-8")
            write(pack(">ii", CHARSXP | ((ASCII_MASK if raw.isascii() else UTF8_MASK) << 12), len(raw)))
            write(raw)
        self.attributes(attributes)

    def integers(self, values: list[int], attributes: list[tuple[str, Any]] | None = None) -> None:
        self.flags(INTSXP, obj=_is_object(attributes), attr=bool(attributes))
        self.int(len(values))
        self.out.write(struct.pack(f">{len(values)}i", *values))
        self.attributes(attributes)

    def reals(self, values: list[float | None], attributes: list[tuple[str, Any]] | None = None) -> None:
        self.flags(REALSXP, obj=_is_object(attributes), attr=bool(attributes))
        self.int(len(values))
        if not any(v is None for v in values):
            self.out.write(struct.pack(f">{len(values)}d", *values))
        else:
            self.out.write(b"".join(NA_REAL if v is None else struct.pack(">d", v) for v in values))
        self.attributes(attributes)

    def symbol(self, name: str) -> None:
        self.flags(SYMSXP)
        self.char(name)

    def value(self, value: Any) -> None:
        """An attribute value: a string or list of strings, or a list of integers."""
        if isinstance(value, str):
            self.strings([value])
        elif value and all(isinstance(v, int) for v in value):
            self.integers(list(value))
        else:
            self.strings(list(value))

    def attributes(self, attributes: list[tuple[str, Any]] | None) -> None:
        """A pairlist of (tag, value) nodes ending in NULL."""
        if not attributes:
            return
        for name, value in attributes:
            self.flags(LISTSXP, tag=True)
            self.symbol(name)
            self.value(value)
        self.flags(NILVALUE_SXP)


def _is_object(attributes: list[tuple[str, Any]] | None) -> bool:
    return any(name == "class" for name, _ in attributes or [])


def _labelled(c: Column) -> bool:
    return c.numeric and bool(c.value_labels) and all(isinstance(k, int) for k in c.value_labels)


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _seconds(value: Any) -> float | None:
    """POSIXct: seconds since the epoch. The raw data rows hold local wall-clock times (as the workbook
    shows them, datarows); the file stores the instant and names the zone, so R prints the same time."""
    if not isinstance(value, datetime):
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_default_timezone())
    return value.timestamp()


def _collect(cols: list[Column], rows: Iterable[list[Any]]) -> tuple[list[list[Any]], int]:
    data: list[list[Any]] = [[] for _ in cols]
    count = 0
    for row in rows:
        for values, value in zip(data, row, strict=True):
            values.append(value)
        count += 1
    return data, count


def _na_reason(values: list[Any]) -> tuple[list[Any], list[str | None]]:
    """The values with the missing codes turned into NA, and per row the reason (None where a value is)."""
    reasons = [missing.LABELS[int(v)] if missing.is_missing_code(v) else None for v in values]
    return [None if reason else v for v, reason in zip(values, reasons, strict=True)], reasons


def _column(w: _Writer, c: Column, values: list[Any]) -> None:
    label = ("label", clean_text(c.label))
    if c.has_missing_codes:
        # R has one NA: the reason (not shown / not answered) goes into the attribute na_reason
        values, reasons = _na_reason(values)
        label_and_reason = [label, ("na_reason", reasons)]
    else:
        label_and_reason = [label]
    if _labelled(c):
        # distinct labels per level: R factors need unique levels; codes sharing a label share a level
        labels = {int(k): clean_text(v) for k, v in c.value_labels.items()}
        levels = list(dict.fromkeys(labels.values()))
        position = {text: i + 1 for i, text in enumerate(levels)}
        level_of = {code: position[text] for code, text in labels.items()}
        known: dict[Any, int] = {}  # raw value → factor code: a coded column holds a handful of values

        def code(value: Any) -> int:
            number = _number(value)
            return level_of.get(int(number), NA_INTEGER) if number is not None and number.is_integer() else NA_INTEGER

        codes = [known[v] if v in known else known.setdefault(v, code(v)) for v in values]
        w.integers(codes, [("levels", levels), ("class", "factor"), *label_and_reason])
    elif c.numeric:
        w.reals([_number(v) for v in values], label_and_reason)
    elif c.code in ("started_at", "submitted_at"):
        w.reals([_seconds(v) for v in values],
                [("class", ["POSIXct", "POSIXt"]), ("tzone", settings.TIME_ZONE), label])
    else:
        w.strings(["" if v is None else clean_text(str(v)) for v in values], [label])


def write_rds(path: Path | str, cols: list[Column], rows: Iterable[list[Any]]) -> int:
    """One data.frame with a row per response; returns the number of rows written."""
    data, count = _collect(cols, rows)
    with gzip.open(path, "wb", compresslevel=6) as out:
        w = _Writer(out)
        out.write(b"X\n")
        for number in (3, R_VERSION, MIN_READER):
            w.int(number)
        w.int(len(b"UTF-8"))
        out.write(b"UTF-8")
        w.flags(VECSXP, obj=True, attr=True)
        w.int(len(cols))
        for c, values in zip(cols, data, strict=True):
            _column(w, c, values)
        # compact row names 1..n, as R stores them: c(NA_integer_, -n)
        w.attributes([("names", [c.code for c in cols]), ("class", "data.frame"),
                      ("row.names", [NA_INTEGER, -count])])
    return count


class RdsExporter(DataExporter):
    identifier = "rds"
    extensions = (".rds",)
    verbose_name = gettext_lazy("R (.rds)")
    content_type = "application/octet-stream"  # no registered media type
    position = 50

    def write(self, path: Path | str, data: RawData) -> int:
        return write_rds(path, data.cols, data.rows)
