"""Result tables: frequencies per question and cross-tabs by Land and size class.

Counting happens in PostgreSQL (GROUP BY over the long answer table). The one thing SQL
cannot do by itself is decide which questions a respondent was *shown*, because that is
the condition language of the questionnaire. We do not re-implement the conditions in SQL;
instead we use the exact Python evaluation of the questionnaire on *condition signatures*:

1. every response is reduced to the answers of the variables that any condition refers to
   (its "signature": two arrays, variables and values, built in SQL);
2. the distinct signatures (a few dozen for the KGSt survey, whatever the number of
   responses) are evaluated in Python with `SurveyStructure.is_question_shown` — the same
   function the respondent flow uses;
3. the (signature, question) pairs that are shown go back into SQL as an array, and every
   count joins the answers to them. Shown counts per question are sums of signature counts.

So a question's base ("shown and answered") and missing ("shown, not answered") follow the
questionnaire exactly, and counting stays a handful of GROUP BY queries. A pure-Python
backend (`python_counts`) computes the same raw figures response by response; it serves
SQLite (`make run`) and is the reference the SQL path is tested against.

All reads of one export run inside one REPEATABLE READ READ ONLY transaction (`snapshot`).
"""

from __future__ import annotations

import contextlib
import statistics
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Max
from django.utils import timezone

from invitations.models import GROESSENKLASSEN, Invitation, Member
from responses.models import Answer, Response
from surveys.models import Survey
from surveys.structure import get_structure

from .rawsql import COUNT_SETTINGS, fetch_hashed, local_settings, sql

CHOICE_TYPES = ("single", "multi", "matrix")
TEXT_TYPES = ("text", "textarea", "email", "date")
DIMENSIONS = ("land", "groessenklasse")


# --- snapshot ------------------------------------------------------------------------------


@contextlib.contextmanager
def snapshot() -> Iterator[bool]:
    """One consistent view of the database for everything read inside the block.

    Outside a transaction: REPEATABLE READ READ ONLY. Inside an existing transaction (tests
    wrapped in one) the surrounding transaction is used. Yields True when a snapshot
    transaction was opened here.
    """
    if connection.in_atomic_block:
        yield False
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield True


def statuses(include_partial: bool) -> list[str]:
    if include_partial:
        return [Response.Status.SUBMITTED, Response.Status.STARTED]
    return [Response.Status.SUBMITTED]


# --- answers mapping -----------------------------------------------------------------------


class AnswerIndex:
    """Where a stored variable belongs: turns (variable, value) rows into the answers mapping."""

    def __init__(self, structure: Any) -> None:
        self.multi: set[str] = set()
        self.matrix_row: dict[str, str] = {}
        self.question_of: dict[str, Any] = {}
        self.code_of_id: dict[int, str] = {}
        for question in structure.questions:
            self.code_of_id[question.id] = question.code
            if question.type == "multi":
                self.multi.add(question.code)
            for row in question.rows:
                self.matrix_row[row.code] = question.code
                self.question_of[row.code] = question
            for option in question.options:
                if option.has_text:
                    self.question_of[option.text_variable] = question
            self.question_of[question.code] = question

    def mapping(self, rows: Iterable[tuple[str, str]]) -> dict[str, Any]:
        """The answers mapping (surveys.structure.Answers): multi → list of codes, everything else → str."""
        answers: dict[str, Any] = {}
        for variable, value in rows:
            if value is None or value == "":
                continue
            if variable in self.multi:
                answers.setdefault(variable, []).append(value)
            else:  # single, number, text; a matrix row by its row code; "other" texts
                answers[variable] = value
        return answers


# --- raw counts ----------------------------------------------------------------------------


@dataclass
class RawCounts:
    """What the backends count; `build_tables` turns it into result tables."""

    respondents: int = 0
    shown: dict[str, int] = field(default_factory=dict)  # question code → responses shown it
    freq: dict[tuple[str, str], int] = field(default_factory=dict)  # (variable, value) → answers
    answered: dict[str, int] = field(default_factory=dict)  # variable → responses with a value
    numbers: dict[str, tuple] = field(default_factory=dict)  # code → (n, mean, median, min, max)
    # (dimension, variable, value, column) → answers; (dimension, variable, column) → responses
    xfreq: dict[tuple[str, str, str, str], int] = field(default_factory=dict)
    xbase: dict[tuple[str, str, str], int] = field(default_factory=dict)
    xshown: dict[tuple[str, str, str], int] = field(default_factory=dict)  # (dim, code, col) → shown


def _with(*ctes: str) -> str:
    """A WITH clause from constant CTE texts (no values are ever formatted into SQL)."""
    return "WITH " + ",".join(ctes)


# Responses of the export with their register columns, and each one's condition signature.
# The arrays are aggregated without ORDER BY on purpose: an ordered aggregate forces a sort of
# every condition answer plus a sort of 90,000 array keys (~0.3 s at 100,000 responses), while
# an unordered one hashes. The order cannot change a count: two responses with the same answers
# in another order only form two cells, and Python sorts the pairs before evaluating, so both
# cells get the same signature and the same shown questions.
_RESP_SQL = """
resp AS MATERIALIZED (
    SELECT r.{Response.id} AS id, m.{Member.land} AS land, m.{Member.groessenklasse}::text AS gk
    FROM {Response} r
    JOIN {Invitation} i ON i.{Invitation.id} = r.{Response.invitation}
    JOIN {Member} m ON m.{Member.id} = i.{Invitation.member}
    WHERE r.{Response.survey} = %(survey)s AND r.{Response.status} = ANY(%(statuses)s)
),
keyed AS (
    SELECT resp.id, resp.land, resp.gk,
           COALESCE(c.vars, '{{}}') AS vars, COALESCE(c.vals, '{{}}') AS vals
    FROM resp LEFT JOIN (
        SELECT a.{Answer.response} AS response_id,
               array_agg(a.{Answer.variable}::text) AS vars, array_agg(a.{Answer.value}) AS vals
        FROM {Answer} a
        WHERE a.{Answer.question} = ANY(%(cond_qids)s) AND a.{Answer.variable} = ANY(%(cond_vars)s)
          AND a.{Answer.value} <> ''
        GROUP BY a.{Answer.response}
    ) c ON c.response_id = resp.id
)"""

# One row per (signature, Land, size class) with the ids of its responses.
_SIGNATURES_SQL = sql(_with(_RESP_SQL) + """
SELECT vars, vals, land, gk, count(*), array_agg(id)::text FROM keyed GROUP BY vars, vals, land, gk""",
                      Response=Response, Invitation=Invitation, Member=Member, Answer=Answer)

# The second query gets each response's "cell" (signature × Land × size class) as arrays, so
# nothing of the first query is recomputed: answers are grouped by (cell, question, variable,
# option code) in one hash aggregate — free texts only by variable — and the shown filter and
# the grouping sets work on those few 10,000 groups, not on millions of answer rows.
#   f: answers per (variable, option code) overall / per Land / per size class; text variables
#      (value NULL) give their number of answers;
#   m: respondents per multiple choice question (a respondent counts once, however many options);
#   n: statistics of number questions.
_COUNTS_SQL = sql("""
WITH sig AS MATERIALIZED (
    SELECT u.id, c.cell
    FROM unnest(%(cells)s::int[], %(cell_ids)s::text[]) AS c(cell, ids)
    CROSS JOIN LATERAL unnest(c.ids::bigint[]) AS u(id)
),
cells AS (
    SELECT * FROM unnest(%(cells)s::int[], %(cell_kids)s::int[], %(cell_lands)s::text[], %(cell_gks)s::text[])
    AS c(cell, kid, land, gk)
),
shown AS (SELECT * FROM unnest(%(kids)s::int[], %(qids)s::bigint[]) AS t(kid, qid)),
grouped AS (
    SELECT s.cell, a.{Answer.question} AS question_id, a.{Answer.variable} AS variable,
           CASE WHEN a.{Answer.variable} = ANY(%(choice_vars)s) THEN a.{Answer.value} END AS value, count(*) AS n
    FROM {Answer} a JOIN sig s ON s.id = a.{Answer.response}
    WHERE a.{Answer.value} <> ''
    GROUP BY 1, 2, 3, 4
),
g AS (
    SELECT c.land, c.gk, grouped.variable, grouped.value, grouped.n
    FROM grouped JOIN cells c ON c.cell = grouped.cell JOIN shown sh ON sh.kid = c.kid AND sh.qid = grouped.question_id
),
multi AS (
    SELECT c.land, c.gk, m.question_id, m.n
    FROM (SELECT s.cell, r.question_id, count(*) AS n
          FROM (SELECT a.{Answer.response} AS response_id, a.{Answer.question} AS question_id FROM {Answer} a
                WHERE a.{Answer.question} = ANY(%(multi_qids)s) AND a.{Answer.variable} = ANY(%(multi_vars)s)
                  AND a.{Answer.value} <> ''
                GROUP BY 1, 2) r
          JOIN sig s ON s.id = r.response_id
          GROUP BY 1, 2) m
    JOIN cells c ON c.cell = m.cell JOIN shown sh ON sh.kid = c.kid AND sh.qid = m.question_id
)
SELECT 'f', variable, value, GROUPING(land), GROUPING(gk), land, gk, sum(n)::bigint,
       NULL::float8, NULL::float8, NULL::float8, NULL::float8
FROM g
GROUP BY GROUPING SETS ((variable, value), (variable, value, land), (variable, value, gk))
UNION ALL
SELECT 'm', question_id::text, NULL, GROUPING(land), GROUPING(gk), land, gk, sum(n)::bigint, NULL, NULL, NULL, NULL
FROM multi
GROUP BY GROUPING SETS ((question_id), (question_id, land), (question_id, gk))
UNION ALL
SELECT 'n', variable, NULL, 1, 1, NULL, NULL, count(*), avg(v)::float8,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY v)::float8, min(v)::float8, max(v)::float8
FROM (SELECT a.{Answer.variable} AS variable, a.{Answer.value}::numeric AS v
      FROM {Answer} a
      JOIN sig s ON s.id = a.{Answer.response}
      JOIN cells c ON c.cell = s.cell
      JOIN shown sh ON sh.kid = c.kid AND sh.qid = a.{Answer.question}
      WHERE a.{Answer.question} = ANY(%(number_qids)s) AND a.{Answer.value} ~ '^\\s*-?[0-9]+(\\.[0-9]+)?\\s*$') nums
GROUP BY variable""", Answer=Answer)


def sql_counts(survey: Survey, include_partial: bool = False) -> RawCounts:
    """Count in PostgreSQL (call inside `snapshot()` for a consistent view)."""
    structure = get_structure(survey)
    index = AnswerIndex(structure)
    questions = list(structure.questions)
    cond_vars = sorted(structure.condition_variables)
    cond_qids = sorted({index.question_of[v].id for v in cond_vars if v in index.question_of})
    params: dict[str, Any] = {
        "survey": survey.pk,
        "statuses": statuses(include_partial),
        "cond_qids": cond_qids or [0],
        "cond_vars": cond_vars or [""],
    }
    raw = RawCounts()
    keys: dict[tuple, int] = {}
    shown_by_key: dict[tuple, list[str]] = {}
    shown_pairs: set[tuple[int, int]] = set()
    cells: list[tuple[int, int, str, str]] = []
    cell_ids: list[str] = []
    with connection.cursor() as cursor, local_settings(cursor, COUNT_SETTINGS):
        for variables, values, land, gk, count, response_ids in fetch_hashed(cursor, _SIGNATURES_SQL, params):
            key = tuple(sorted(zip(variables, values, strict=True)))
            if key not in keys:
                keys[key] = len(keys) + 1
                shown = structure.shown_questions(index.mapping(key))
                shown_by_key[key] = [q.code for q in shown]
                shown_pairs.update((keys[key], q.id) for q in shown)
            cell = len(cells) + 1
            cells.append((cell, keys[key], land, gk))
            cell_ids.append(response_ids)  # '{1,2,…}' as PostgreSQL wrote it: sent back as is, never parsed
            raw.respondents += count
            for code in shown_by_key[key]:
                _inc(raw.shown, code, count)
                _inc(raw.xshown, ("land", code, land), count)
                _inc(raw.xshown, ("groessenklasse", code, gk), count)
        if not keys:
            return raw
        pairs = sorted(shown_pairs)
        choice = [q for q in questions if q.type in CHOICE_TYPES]
        multi = [q for q in questions if q.type == "multi"]
        params = {
            "cell_ids": cell_ids,
            "cells": [c[0] for c in cells], "cell_kids": [c[1] for c in cells],
            "cell_lands": [c[2] for c in cells], "cell_gks": [c[3] for c in cells],
            "kids": [p[0] for p in pairs] or [0], "qids": [p[1] for p in pairs] or [0],
            "choice_vars": [v for q in choice for v in q.choice_variables] or [""],
            "multi_qids": [q.id for q in multi] or [0], "multi_vars": [q.code for q in multi] or [""],
            "number_qids": [q.id for q in questions if q.type == "number"] or [0],
        }
        rows = fetch_hashed(cursor, _COUNTS_SQL, params)
    _collect(raw, rows, {str(q.id): q.code for q in multi})
    return raw


def _collect(raw: RawCounts, rows: list[tuple], multi_codes: dict[str, str]) -> None:
    for kind, variable, value, no_land, no_gk, land, gk, count, mean, median, low, high in rows:
        dim, col = _dimension(no_land, no_gk, land, gk)
        if kind == "n":
            raw.numbers[variable] = (count, mean, median, low, high)
        elif kind == "m":
            code = multi_codes[variable]
            if dim is None:
                raw.answered[code] = count
            else:
                raw.xbase[(dim, code, col)] = count
        elif value is None:  # a free text / number / "other" text variable: one row per respondent
            if dim is None:
                raw.answered[variable] = count
        elif dim is None:
            raw.freq[(variable, value)] = count
            if variable not in multi_codes.values():
                _inc(raw.answered, variable, count)
        else:
            raw.xfreq[(dim, variable, value, col)] = count
            if variable not in multi_codes.values():
                _inc(raw.xbase, (dim, variable, col), count)


def _dimension(no_land: int, no_gk: int, land: str | None, gk: str | None) -> tuple[str | None, str | None]:
    if not no_land:
        return "land", land
    if not no_gk:
        return "groessenklasse", gk
    return None, None


def python_counts(survey: Survey, include_partial: bool = False) -> RawCounts:
    """The same raw figures, response by response in Python (SQLite and the reference in tests)."""
    structure = get_structure(survey)
    index = AnswerIndex(structure)
    choice_vars = {v for q in structure.questions if q.type in CHOICE_TYPES for v in q.choice_variables}
    raw = RawCounts()
    numbers: dict[str, list[Decimal]] = defaultdict(list)
    responses = (
        Response.objects.filter(survey=survey, status__in=statuses(include_partial))
        .select_related("invitation__member")
        .order_by("id")
    )
    rows_by_response: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for rid, qid, variable, value in Answer.objects.filter(response__in=responses).values_list(
        "response_id", "question_id", "variable", "value"
    ):
        rows_by_response[rid].append((qid, variable, value))
    for response in responses:
        member = response.invitation.member
        cols = {"land": member.land, "groessenklasse": str(member.groessenklasse)}
        rows = [r for r in rows_by_response.get(response.pk, []) if r[2] != ""]
        answers = index.mapping((variable, value) for _, variable, value in rows)
        raw.respondents += 1
        shown = {q.id: q for q in structure.shown_questions(answers)}
        for question in shown.values():
            _inc(raw.shown, question.code)
            for dim, col in cols.items():
                _inc(raw.xshown, (dim, question.code, col))
        seen: set[str] = set()
        for qid, variable, value in rows:
            question = shown.get(qid)
            if question is None:
                continue
            if question.type in CHOICE_TYPES and variable in choice_vars:
                _inc(raw.freq, (variable, value))
                for dim, col in cols.items():
                    _inc(raw.xfreq, (dim, variable, value, col))
            if variable not in seen:
                seen.add(variable)
                _inc(raw.answered, variable)
                if variable in choice_vars:
                    for dim, col in cols.items():
                        _inc(raw.xbase, (dim, variable, col))
            if question.type == "number":
                with contextlib.suppress(InvalidOperation):
                    numbers[variable].append(Decimal(value.strip()))
    for variable, values in numbers.items():
        raw.numbers[variable] = (
            len(values), float(sum(values) / len(values)), float(statistics.median(values)),
            float(min(values)), float(max(values)),
        )
    return raw


def _inc(counter: dict, key: Any, by: int = 1) -> None:
    counter[key] = counter.get(key, 0) + by


def raw_counts(survey: Survey, include_partial: bool = False) -> RawCounts:
    """Counted in PostgreSQL; `python_counts` is the tests' independent reference."""
    return sql_counts(survey, include_partial)


# --- tables --------------------------------------------------------------------------------


def _pct(count: int, base: int) -> float | None:
    return count / base if base else None


def _option_rows(question: Any, variable: str, raw: RawCounts, base: int) -> list[dict[str, Any]]:
    rows = []
    for option in question.options:
        count = raw.freq.get((variable, option.code), 0)
        rows.append({"code": option.code, "label": option.label, "count": count, "percent": _pct(count, base)})
    return rows


def frequency_table(question: Any, raw: RawCounts) -> dict[str, Any]:
    shown = raw.shown.get(question.code, 0)
    table: dict[str, Any] = {
        "code": question.code, "type": question.type, "text": question.text,
        "condition": _condition_text(question), "shown": shown,
    }
    if question.type == "matrix":
        table["rows"] = []
        for row in question.rows:
            base = raw.answered.get(row.code, 0)
            table["rows"].append({
                "code": row.code, "label": row.label, "base": base, "missing": shown - base,
                "options": _option_rows(question, row.code, raw, base),
            })
        return table
    base = raw.answered.get(question.code, 0)
    table.update(base=base, missing=shown - base)
    if question.type in ("single", "multi"):
        table["options"] = _option_rows(question, question.code, raw, base)
        table["other_texts"] = {
            o.text_variable: raw.answered.get(o.text_variable, 0) for o in question.options if o.has_text
        }
    elif question.type == "number":
        n, mean, median, low, high = raw.numbers.get(question.code, (0, None, None, None, None))
        table["stats"] = {"n": n, "mean": mean, "median": median, "min": low, "max": high}
    else:
        table["answers"] = base
    return table


def _condition_text(question: Any) -> str:
    return getattr(question, "full_condition", None) or question.condition or ""


def crosstab(question: Any, variable: str, label: str, dimension: str, raw: RawCounts,
             columns: list[tuple[str, str]]) -> dict[str, Any]:
    """Counts, column percentages and the base per column of one choice variable."""
    bases = [raw.xbase.get((dimension, variable, col), 0) for col, _ in columns]
    total_base = raw.answered.get(variable, 0)
    rows = []
    for option in question.options:
        counts = [raw.xfreq.get((dimension, variable, option.code, col), 0) for col, _ in columns]
        total = raw.freq.get((variable, option.code), 0)
        rows.append({
            "code": option.code, "label": option.label, "counts": counts + [total],
            "percents": [_pct(c, b) for c, b in zip(counts, bases, strict=True)] + [_pct(total, total_base)],
        })
    return {
        "code": question.code, "variable": variable, "text": label, "type": question.type, "by": dimension,
        "columns": [{"code": col, "label": lbl} for col, lbl in columns] + [{"code": "", "label": "Gesamt"}],
        "rows": rows, "bases": bases + [total_base],
    }


def dimension_columns(raw: RawCounts, dimension: str) -> list[tuple[str, str]]:
    present = {col for (dim, _, col) in raw.xshown if dim == dimension and col is not None}
    if dimension == "groessenklasse":
        return [(str(k), v) for k, v in sorted(GROESSENKLASSEN.items()) if str(k) in present]
    return [(land, land) for land in sorted(present)]


def build_tables(survey: Survey, raw: RawCounts, include_partial: bool = False) -> dict[str, Any]:
    """The stored result tables (JSON-serialisable): frequencies and cross-tabs."""
    structure = get_structure(survey)
    questions = list(structure.questions)
    crosstabs = []
    for dimension in DIMENSIONS:
        columns = dimension_columns(raw, dimension)
        for question in questions:
            if question.type not in CHOICE_TYPES:
                continue
            for variable in question.choice_variables:
                label = question.text
                if question.type == "matrix":
                    label = f"{question.text}: {next(r.label for r in question.rows if r.code == variable)}"
                crosstabs.append(crosstab(question, variable, label, dimension, raw, columns))
    return {
        "version": 1,
        "include_partial": include_partial,
        "respondents": raw.respondents,
        "computed_at": timezone.now().isoformat(),
        "questions": [frequency_table(q, raw) for q in questions],
        "crosstabs": crosstabs,
    }


def compute_tables(survey: Survey, include_partial: bool = False) -> dict[str, Any]:
    """All result tables of a survey from one consistent snapshot."""
    with snapshot():
        raw = raw_counts(survey, include_partial)
        tables = build_tables(survey, raw, include_partial)
        tables["overview"] = overview(survey)
        tables["data_stamp"] = data_stamp(survey, include_partial)
    return tables


def data_stamp(survey: Survey, include_partial: bool) -> dict[str, Any]:
    """How many responses a result set would count and when the newest of them last changed."""
    agg = Response.objects.filter(survey=survey, status__in=statuses(include_partial)).aggregate(
        n=Count("id"), last=Max("updated_at"))
    return {"responses": agg["n"], "last_change_at": agg["last"].isoformat() if agg["last"] else None}


def overview(survey: Survey) -> dict[str, Any]:
    """Invited, submitted, partial and the response rate (read inside the caller's snapshot)."""
    invited = Invitation.objects.filter(survey=survey).count()
    counts = dict(_status_counts(survey))
    submitted = counts.get(Response.Status.SUBMITTED, 0)
    partial = counts.get(Response.Status.STARTED, 0)
    return {
        "invited": invited, "submitted": submitted, "partial": partial,
        "response_rate": submitted / invited if invited else None,
        "as_of": timezone.now().isoformat(),
    }


def _status_counts(survey: Survey) -> list[tuple[str, int]]:
    return list(Response.objects.filter(survey=survey).values_list("status").annotate(n=Count("id")))
