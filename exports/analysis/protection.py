"""Small-cell protection and the publication variant.

Below a survey's minimum base (`Survey.min_base`, default 5) a percentage is not published:
the tables keep their counts and bases, the percentages of that table (or cross-tab column)
become None and carry `protected`, and the table gets a footnote naming the actual base. The
same function protects what the results page shows and what every export writes, so no
surface can forget it.

The publication variant of an export additionally leaves out every column that identifies a
municipality or a person: AGS, name, population (with Land it pins down a municipality), and all
free texts and e-mail answers.
"""

from __future__ import annotations

import copy
from typing import Any

from django.utils.translation import gettext as _

from .datarows import Column

DASH = "–"
IDENTIFYING_REGISTER = ("ags", "name", "einwohner")
IDENTIFYING_KINDS = ("text", "other")


def footnote(min_base: int, base: float) -> str:
    return _("Basis unter %(min)s (n = %(n)s): Prozentwerte nicht ausgewiesen.") % {
        "min": min_base, "n": _number(base)}


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}".replace(".", ",")


def is_small(base: float, min_base: int) -> bool:
    return 0 < base < min_base


def _protect_options(options: list[dict[str, Any]], base: float, min_base: int) -> str:
    if not is_small(base, min_base):
        return ""
    for option in options:
        option["percent"] = None
        option["protected"] = True
    return footnote(min_base, base)


def _respondents(table: dict[str, Any]) -> float:
    """The base that decides: a weighted table (weighted.py) is judged by its unweighted base,
    the number of people behind it, not by the sum of their weights."""
    return table.get("unweighted_base", table["base"])


def protect_question(table: dict[str, Any], min_base: int) -> dict[str, Any]:
    """A frequency table (aggregation.frequency_table) with small bases protected."""
    table = copy.deepcopy(table)
    notes = []
    if table["type"] == "matrix":
        for row in table["rows"]:
            note = _protect_options(row["options"], _respondents(row), min_base)
            if note:
                row["protected_note"] = note
                notes.append(f"{row['code']}: {note}")
    elif "options" in table:
        note = _protect_options(table["options"], _respondents(table), min_base)
        if note:
            table["protected_note"] = note
            notes.append(note)
    table["protected_notes"] = notes
    return table


def protect_crosstab(table: dict[str, Any], min_base: int) -> dict[str, Any]:
    """A cross-tab with the percentages of every small column protected."""
    table = copy.deepcopy(table)
    protected = [is_small(b, min_base) for b in table["bases"]]
    for row in table["rows"]:
        row["percents"] = [None if p else pct for p, pct in zip(protected, row["percents"], strict=True)]
    table["protected"] = protected
    table["protected_notes"] = [f"{col['label']}: {footnote(min_base, b)}"
                                for col, b, p in zip(table["columns"], table["bases"], protected, strict=True) if p]
    return table


def protect_tables(tables: dict[str, Any], min_base: int) -> dict[str, Any]:
    """Stored result tables (questions and cross-tabs) with small-cell protection applied."""
    out = dict(tables)
    out["questions"] = [protect_question(t, min_base) for t in tables.get("questions", [])]
    out["crosstabs"] = [protect_crosstab(x, min_base) for x in tables.get("crosstabs", [])]
    out["min_base"] = min_base
    return out


def is_identifying(column: Column) -> bool:
    if column.kind == "register":
        return column.code in IDENTIFYING_REGISTER
    if column.kind in IDENTIFYING_KINDS:
        return True
    return column.question_type == "email"


def publication_columns(cols: list[Column]) -> list[int]:
    """Indexes of the columns a publication export keeps."""
    return [i for i, c in enumerate(cols) if not is_identifying(c)]
