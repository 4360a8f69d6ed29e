"""Small-cell protection and the publication variant.

Two levels. For analysts (results page, full exports): below a survey's minimum base
(`Survey.min_base`, default 5) a percentage is not published: the tables keep their counts and
bases, the percentages of that table (or cross-tab column) become None and carry `protected`, and
the table gets a footnote naming the actual base (`protect_tables`).

What may be published (the publication variant of the workbook, the results report and its PDF,
the results page's publication view, the API's and the feed's aggregates for viewers) goes through
`publishable_table` / `publishable_tables`: every count below the minimum base is suppressed, not only
its percentage, with secondary suppression so that no suppressed count can be computed back from the
totals and the visible counts (suppression.py: one-way tables, cross-tabs with their margins, the
cross-tab's "Gesamt" column kept consistent with the one-way table of the same variable). A suppressed
count is None and carries `suppressed`; its percentage is None and carries `protected`.

What is *not* suppressed, and why: the number of respondents, and a table's base and "Fehlend" (shown,
not answered). The base is implied by every published percentage (count / percent), and Fehlend is
the number shown the question minus the base, so hiding either would be a pretence; neither is a group
an outsider can name. A base below the minimum base is suppressed with its whole table. The number
of members invited per Land or size class (the report's response rates, the register column of the
representativeness tables) is the association's member register, which is public; the responses
next to it are suppressed. A weighted table is judged by its weighted counts (the unweighted count
per option is not at hand); the cross-tabs' suppression treats a multiple choice as if it added up,
which only suppresses more than needed.

Per-response data is left out of the publication variant altogether (no k-anonymised data sheet): in
a survey about municipalities' social media, many answers (uses Facebook, since when, how many posts)
can be seen from outside, so they are quasi-identifiers as much as Land, type and size class are.
k-anonymity over the register variables alone would not protect, and over all answers it would have
to coarsen nearly every variable. So the publication workbook keeps its sheets (the layout is an
interface) but its Daten sheet holds no rows, and the per-response formats (CSV, SPSS, Stata, R)
refuse the publication variant with a message (variants.PUBLICATION_FORMATS). `publication_columns`
still names what a per-response file must never carry (AGS, name, population, timestamps, free
texts, e-mail answers) for the header of that empty sheet.
"""

from __future__ import annotations

import copy
from typing import Any

from django.utils.translation import gettext as _

from . import suppression
from .datarows import Column

DASH = "–"
IDENTIFYING_REGISTER = ("ags", "name", "einwohner")
IDENTIFYING_META = ("started_at", "submitted_at")
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
    if column.kind == "meta":
        return column.code in IDENTIFYING_META
    if column.kind in IDENTIFYING_KINDS:
        return True
    return column.question_type == "email"


def publication_columns(cols: list[Column]) -> list[int]:
    """Indexes of the columns a publication export keeps."""
    return [i for i, c in enumerate(cols) if not is_identifying(c)]


# --- what may be published: counts suppressed (suppression.py) ------------------------------------


def small_base_note(min_base: int) -> str:
    """The footnote of a base below the minimum base where the base itself is suppressed (no n)."""
    return _("Basis unter %(min)s: Anzahlen und Prozentwerte nicht ausgewiesen.") % {"min": min_base}


def suppressed_note(min_base: int) -> str:
    return _("– = nicht ausgewiesen: Anzahl unter der Mindestbasis von %(min)s oder zu deren Schutz "
             "(sonst aus Summen errechenbar).") % {"min": min_base}


def _suppress_options(options: list[dict[str, Any]], base: float, min_base: int,
                      already: list[bool] | None = None, additive: bool = True) -> bool:
    """Suppress the small counts of one variable (and the secondaries); True if any is suppressed.
    The options of a multiple choice do not add up to anything published (a respondent may choose
    several, and "not chosen" is not published), so they need no secondaries: `additive` False."""
    if additive:
        hidden, base_hidden = suppression.one_way([o["count"] for o in options], base, min_base, already=already)
    else:
        hidden = [suppression.is_small(o["count"], min_base) or bool(already and already[i])
                  for i, o in enumerate(options)]
        base_hidden = False
    if base_hidden:
        hidden = [True] * len(options)
    for option, off in zip(options, hidden, strict=True):
        if off:
            option.update(count=None, percent=None, suppressed=True, protected=True)
    return any(hidden)


def _publish_question(table: dict[str, Any], min_base: int, already: dict[str, list[bool]]) -> dict[str, Any]:
    table = protect_question(table, min_base)
    note = suppressed_note(min_base)
    if table["type"] == "matrix":
        variables = [(row["code"], row) for row in table["rows"]]
    elif "options" in table:
        variables = [(table["code"], table)]
    else:
        variables = []
    table["protected_notes"] = []  # they name the base; published notes do not
    for code, holder in variables:
        holder.pop("protected_note", None)
        if is_small(holder["base"], min_base):
            holder.update(base=None, missing=None, base_suppressed=True, protected_note=small_base_note(min_base))
            table["protected_notes"].append(holder["protected_note"])
            for option in holder["options"]:
                option.update(count=None, percent=None, suppressed=True, protected=True)
            holder["suppressed_note"] = note
        elif _suppress_options(holder["options"], holder["base"], min_base, already.get(code),
                               additive=table["type"] != "multi"):
            holder["suppressed_note"] = note
    if table["type"] == "number" and table.get("stats"):
        # the smallest and the largest value are one respondent's answer each
        stats = table["stats"] = {**table["stats"], "min": None, "max": None}
        if is_small(stats["n"], min_base):
            table["stats"] = dict.fromkeys(stats)
            table.update(base=None, missing=None, base_suppressed=True)
        table["suppressed_note"] = _("Minimum und Maximum sind einzelne Angaben und werden nicht ausgewiesen.")
    elif table["type"] in ("text", "textarea", "email", "date") and is_small(table.get("answers", 0), min_base):
        table.update(answers=None, base=None, missing=None, base_suppressed=True, suppressed_note=note)
    if table.get("shown") is not None and is_small(table["shown"], min_base):
        table["shown"] = None
    return table


def _publish_crosstab(table: dict[str, Any], min_base: int, fixed: list[bool] | None,
                      already: list[bool] | None) -> dict[str, Any]:
    """A cross-tab (columns …, "Gesamt" last) with counts, margins and the missing row suppressed."""
    table = protect_crosstab(table, min_base)
    rows = table["rows"]
    cells = [r["counts"][:-1] for r in rows]
    hidden, rows_hidden, cols_hidden, grand_hidden = suppression.two_way(
        cells, [r["counts"][-1] for r in rows], table["bases"][:-1], table["bases"][-1], min_base,
        fixed_rows=fixed, already_rows=already)
    for r, cell_hidden, total_hidden in zip(rows, hidden, rows_hidden, strict=True):
        flags = [*cell_hidden, total_hidden]
        r["counts"] = [None if off else c for c, off in zip(r["counts"], flags, strict=True)]
        r["percents"] = [None if off else p for p, off in zip(r["percents"], flags, strict=True)]
        r["suppressed"] = flags
    base_flags = [*cols_hidden, grand_hidden]
    table["bases"] = [None if off else b for b, off in zip(table["bases"], base_flags, strict=True)]
    table["bases_suppressed"] = base_flags
    for r in rows:  # a column whose base is hidden shows no percentage either
        r["percents"] = [None if off else p for p, off in zip(r["percents"], base_flags, strict=True)]
    table["protected"] = [p or off for p, off in zip(table["protected"], base_flags, strict=True)]
    if table.get("missing"):
        miss, total_hidden = suppression.one_way(table["missing"][:-1], table["missing"][-1], min_base)
        flags = [*miss, total_hidden]
        table["missing"] = [None if off else m for m, off in zip(table["missing"], flags, strict=True)]
        table["missing_suppressed"] = flags
    table["protected_notes"] = [f"{col['label']}: {small_base_note(min_base)}"
                                for col, p in zip(table["columns"], table["protected"], strict=True) if p]
    if any(any(r["suppressed"]) for r in rows) or any(base_flags):
        table["protected_notes"].append(suppressed_note(min_base))
    return table


def publishable_table(table: dict[str, Any], min_base: int, *, one_way: dict[str, Any] | None = None) -> dict[str, Any]:
    """A copy of a frequency table (aggregation.frequency_table) or a cross-tab (aggregation.crosstab,
    crosstab.tables) as it may be published: counts below `min_base` and the secondaries suppressed
    (None, flagged `suppressed`), percentages protected. For a cross-tab, `one_way` is the published
    one-way table of the same variable over the same respondents, if it is published too: its
    suppressed counts are suppressed in the "Gesamt" column and its visible ones are not used as
    secondaries, so the two tables cannot be played against each other.

    This is the one function the results page's publication view, the publication workbook, the
    report and the API's/feed's viewer aggregates call."""
    if "columns" in table:
        fixed = already = None
        if one_way is not None:
            options = _variable_options(one_way, table.get("variable", table["code"]))
            if options is not None and [o["code"] for o in options] == [r["code"] for r in table["rows"]]:
                already = [bool(o.get("suppressed")) for o in options]
                fixed = [not off for off in already]
        return _publish_crosstab(table, min_base, fixed, already)
    return _publish_question(table, min_base, {})


def _variable_options(table: dict[str, Any], variable: str) -> list[dict[str, Any]] | None:
    if table.get("type") == "matrix":
        return next((r["options"] for r in table["rows"] if r["code"] == variable), None)
    return table.get("options") if table.get("code") == variable else None


def publishable_tables(tables: dict[str, Any], min_base: int, *, same_respondents: bool = True) -> dict[str, Any]:
    """Stored result tables (questions and cross-tabs) as they may be published. With
    `same_respondents` (the cross-tabs count the same responses as the tables: no filter), a
    cross-tab's "Gesamt" column and the one-way table of its variable suppress the same counts; a
    count the cross-tab has to hide in "Gesamt" is hidden in the one-way table too (to a fixpoint)."""
    extra: dict[str, list[bool]] = {}
    for _round in range(5):
        questions = [_publish_question(t, min_base, extra) for t in tables.get("questions", [])]
        by_code = {t["code"]: t for t in questions}
        crosstabs = []
        grown = False
        for x in tables.get("crosstabs", []):
            one = by_code.get(x["code"]) if same_respondents else None
            published = publishable_table(x, min_base, one_way=one)
            crosstabs.append(published)
            if one is None:
                continue
            totals = [r["suppressed"][-1] for r in published["rows"]]
            options = _variable_options(one, x["variable"]) or []
            if any(t and not o.get("suppressed") for t, o in zip(totals, options, strict=False)):
                before = extra.get(x["variable"], [False] * len(totals))
                extra[x["variable"]] = [a or b for a, b in zip(before, totals, strict=True)]
                grown = True
        if not grown:
            break
    out = dict(tables)
    out.update(questions=questions, crosstabs=crosstabs, min_base=min_base, publication=True)
    return out
