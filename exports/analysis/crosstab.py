"""Cross-tabs of every choice variable by any one variable, optionally filtered and weighted.

The column variable ("by") is a register variable (land, groessenklasse, typ) or any choice
variable of the questionnaire; the filter keeps the responses whose register value or answer is
one of the chosen codes. The "shown" rule is the one of `aggregation` (condition signatures):

1. one query groups the responses by their *signature*: the answers to every variable a
   condition refers to, plus the by and filter variables, plus the register columns in use.
   There are a few thousand such cells whatever the number of responses;
2. Python evaluates each cell once with the questionnaire's own `shown_questions` and decides
   whether it passes the filter and which columns it belongs to (a multiple choice "by"
   puts a respondent into every chosen column);
3. a second query counts the answers per (cell, question, variable, option) in one hash
   aggregate and sums them per column through the small (cell, column) and (cell, shown
   question) lists sent back as arrays. Shown counts are sums of cell sizes.

Weights (raking on Land × size class, see `representativeness`) are a number per cell, so a
weighted cross-tab is the same two queries with `n × weight` summed instead of `n`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.utils.translation import gettext as _

from invitations.models import Invitation, Member
from responses.models import Answer, Response
from surveys.models import Survey
from surveys.structure import get_structure

from .aggregation import CHOICE_TYPES, AnswerIndex, snapshot, statuses
from .rawsql import COUNT_SETTINGS, fetch_hashed, local_settings
from .register import REGISTER_LABELS, REGISTER_VARIABLES, register_values
from .representativeness import rake_weights

TOTAL = None  # the column key of "Gesamt"


@dataclass(frozen=True)
class Variable:
    """A variable a cross-tab can be split or filtered by: code, label and its value codes."""

    code: str
    label: str
    kind: str  # register | single | multi | matrix
    values: tuple[tuple[str, str], ...]  # (code, label)
    question_code: str = ""


def variables(survey: Survey) -> list[Variable]:
    """Every variable a cross-tab can be split or filtered by, register variables first."""
    out = [Variable(code, REGISTER_LABELS[code], "register", register_values(code)) for code in REGISTER_VARIABLES]
    for question in get_structure(survey).questions:
        if question.type not in CHOICE_TYPES:
            continue
        values = tuple((o.code, o.label) for o in question.options)
        if question.type == "matrix":
            for row in question.rows:
                out.append(Variable(row.code, f"{question.text}: {row.label}", "matrix", values, question.code))
        else:
            out.append(Variable(question.code, question.text, question.type, values, question.code))
    return out


def variable_map(survey: Survey) -> dict[str, Variable]:
    return {v.code: v for v in variables(survey)}


@dataclass(frozen=True)
class Filter:
    variable: str
    values: tuple[str, ...]

    def describe(self, known: dict[str, Variable]) -> str:
        var = known[self.variable]
        labels = dict(var.values)
        shown = ", ".join(labels.get(v, v) if var.kind == "register" else f"{v} ({labels.get(v, v)})"
                          for v in self.values)
        return f"{self.variable} = {shown}"


@dataclass(frozen=True)
class Spec:
    """What the analyst chose: split by `by`, keep only `filter`, weight or not."""

    by: str = "land"
    filter: Filter | None = None
    include_partial: bool = False
    weighted: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "by": self.by, "include_partial": self.include_partial, "weighted": self.weighted,
            "filter": {"variable": self.filter.variable, "values": list(self.filter.values)} if self.filter else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Spec | None:
        if not data:
            return None
        flt = data.get("filter")
        return cls(by=data["by"], include_partial=bool(data.get("include_partial")),
                   weighted=bool(data.get("weighted")),
                   filter=Filter(flt["variable"], tuple(flt["values"])) if flt else None)


# --- counting ------------------------------------------------------------------------------


@dataclass
class Counts:
    """Raw cross-tab figures; column key None is the total over all filtered respondents."""

    respondents: dict[str | None, float] = field(default_factory=dict)
    shown: dict[tuple[str, str | None], float] = field(default_factory=dict)  # (question, col)
    freq: dict[tuple[str, str, str | None], float] = field(default_factory=dict)  # (variable, value, col)
    base: dict[tuple[str, str | None], float] = field(default_factory=dict)  # (variable, col)


def _add(counter: dict, key: Any, by: float) -> None:
    counter[key] = counter.get(key, 0) + by


def _tables() -> dict[str, str]:
    return {
        "response": Response._meta.db_table, "answer": Answer._meta.db_table,
        "invitation": Invitation._meta.db_table, "member": Member._meta.db_table,
    }


# Register columns are selected by name from this fixed list, never from user input.
_REGISTER_SQL = {"land": "m.land", "groessenklasse": "m.groessenklasse::text", "typ": "m.typ"}

_SIGNATURES = """
WITH resp AS MATERIALIZED (
    SELECT r.id, {register} AS reg
    FROM {response} r
    JOIN {invitation} i ON i.id = r.invitation_id
    JOIN {member} m ON m.id = i.member_id
    WHERE r.survey_id = %(survey)s AND r.status = ANY(%(statuses)s){prefilter}
)
SELECT COALESCE(c.vars, '{{}}'), COALESCE(c.vals, '{{}}'), resp.reg, count(*), array_agg(resp.id)::text
FROM resp LEFT JOIN (
    SELECT a.response_id, array_agg(a.variable::text) AS vars, array_agg(a.value) AS vals
    FROM {answer} a
    WHERE a.question_id = ANY(%(sig_qids)s) AND a.variable = ANY(%(sig_vars)s) AND a.value <> ''
    GROUP BY a.response_id
) c ON c.response_id = resp.id
GROUP BY 1, 2, 3"""

# Answers per (cell, question, variable, option) first (one hash aggregate over the answers of the
# kept responses), then the few thousand groups are joined to the shown pairs and the columns.
_COUNTS = """
WITH sig AS MATERIALIZED (
    SELECT u.id, c.cell
    FROM unnest(%(cells)s::int[], %(cell_ids)s::text[]) AS c(cell, ids)
    CROSS JOIN LATERAL unnest(c.ids::bigint[]) AS u(id)
),
cellkid AS (SELECT * FROM unnest(%(cells)s::int[], %(cell_kids)s::int[], %(cell_w)s::float8[]) AS t(cell, kid, w)),
cellcol AS (SELECT * FROM unnest(%(cc_cells)s::int[], %(cc_cols)s::text[]) AS t(cell, col)),
shown AS (SELECT * FROM unnest(%(kids)s::int[], %(qids)s::bigint[]) AS t(kid, qid)),
grouped AS (
    SELECT s.cell, a.question_id, a.variable, a.value, count(*) AS n
    FROM {answer} a JOIN sig s ON s.id = a.response_id
    WHERE a.variable = ANY(%(choice_vars)s) AND a.value <> ''
    GROUP BY 1, 2, 3, 4
),
multi AS (
    SELECT s.cell, r.question_id, count(*) AS n
    FROM (SELECT response_id, question_id FROM {answer}
          WHERE question_id = ANY(%(multi_qids)s) AND variable = ANY(%(multi_vars)s) AND value <> ''
          GROUP BY 1, 2) r
    JOIN sig s ON s.id = r.response_id
    GROUP BY 1, 2
)
SELECT 'f', g.variable, g.value, cc.col, sum(g.n * ck.w)
FROM grouped g JOIN cellkid ck ON ck.cell = g.cell
JOIN shown sh ON sh.kid = ck.kid AND sh.qid = g.question_id
JOIN cellcol cc ON cc.cell = g.cell
GROUP BY 2, 3, 4
UNION ALL
SELECT 'm', m.question_id::text, NULL, cc.col, sum(m.n * ck.w)
FROM multi m JOIN cellkid ck ON ck.cell = m.cell
JOIN shown sh ON sh.kid = ck.kid AND sh.qid = m.question_id
JOIN cellcol cc ON cc.cell = m.cell
GROUP BY 2, 4"""


class _Cells:
    """The Python step: signature → shown questions, filter, columns, weight."""

    def __init__(self, survey: Survey, spec: Spec, weights: dict[tuple[str, str], float] | None) -> None:
        self.structure = get_structure(survey)
        self.index = AnswerIndex(self.structure)
        self.spec = spec
        self.weights = weights
        self.keys: dict[tuple, int] = {}
        self.shown_codes: dict[int, list[str]] = {}
        self.shown_ids: dict[int, set[int]] = {}
        self.counts = Counts()

    def register_used(self) -> list[str]:
        used = [v for v in (self.spec.by, self.spec.filter.variable if self.spec.filter else None)
                if v in REGISTER_VARIABLES]
        if self.weights is not None:
            used += ["land", "groessenklasse"]
        return list(dict.fromkeys(used))

    def signature_variables(self) -> list[str]:
        names = set(self.structure.condition_variables)
        for name in (self.spec.by, self.spec.filter.variable if self.spec.filter else None):
            if name and name not in REGISTER_VARIABLES:
                names.add(name)
        return sorted(names)

    def _kid(self, key: tuple) -> tuple[int, dict[str, Any]]:
        answers = self.index.mapping(key)
        if key not in self.keys:
            kid = self.keys[key] = len(self.keys) + 1
            shown = self.structure.shown_questions(answers)
            self.shown_codes[kid] = [q.code for q in shown]
            self.shown_ids[kid] = {q.id for q in shown}
        return self.keys[key], answers

    def _values(self, variable: str, answers: dict[str, Any], shown: set[int], reg: dict[str, str]) -> list[str]:
        """The codes a response has for `variable` (register value, or its answers if shown)."""
        if variable in REGISTER_VARIABLES:
            return [reg[variable]]
        question = self.index.question_of.get(variable)
        if question is None or question.id not in shown:
            return []
        value = answers.get(variable)
        if value is None:
            return []
        return list(value) if isinstance(value, list) else [value]

    def place(self, variables_: list[str], values: list[str], reg_values: list[str] | None,
              count: int) -> tuple[int, list[str | None], float] | None:
        """(kid, columns, weight) of one signature cell, or None when the filter drops it."""
        key = tuple(sorted(zip(variables_, values, strict=True)))
        kid, answers = self._kid(key)
        reg = dict(zip(self.register_used(), reg_values or [], strict=True))
        shown = self.shown_ids[kid]
        flt = self.spec.filter
        if flt and not set(self._values(flt.variable, answers, shown, reg)) & set(flt.values):
            return None
        cols: list[str | None] = [TOTAL, *dict.fromkeys(self._values(self.spec.by, answers, shown, reg))]
        weight = 1.0
        if self.weights is not None:
            weight = self.weights.get((reg["land"], reg["groessenklasse"]), 0.0)
        for col in cols:
            _add(self.counts.respondents, col, count * weight)
            for code in self.shown_codes[kid]:
                _add(self.counts.shown, (code, col), count * weight)
        return kid, cols, weight


# A filter is applied in SQL as a necessary condition (the register value, or an answer with one of
# the codes), so dropped responses never reach the grouping; whether the filter question was shown
# to the response is then checked in Python with the rest of the cell.
_PREFILTER_REGISTER = "\n      AND {column} = ANY(%(filter_values)s)"
_PREFILTER_ANSWER = """
      AND EXISTS (SELECT 1 FROM {answer} fa WHERE fa.response_id = r.id AND fa.question_id = %(filter_qid)s
                  AND fa.variable = %(filter_var)s AND fa.value = ANY(%(filter_values)s))"""


def _prefilter(cells: _Cells, params: dict[str, Any]) -> str:
    flt = cells.spec.filter
    if flt is None:
        return ""
    params["filter_values"] = list(flt.values)
    if flt.variable in REGISTER_VARIABLES:
        return _PREFILTER_REGISTER.format(column=_REGISTER_SQL[flt.variable])
    question = cells.index.question_of.get(flt.variable)
    params["filter_qid"] = question.id if question else 0
    params["filter_var"] = flt.variable
    return _PREFILTER_ANSWER.format(answer=Answer._meta.db_table)


def _register_select(names: list[str]) -> str:
    if not names:
        return "NULL::text[]"
    return "ARRAY[" + ", ".join(_REGISTER_SQL[n] for n in names) + "]"


def count(survey: Survey, spec: Spec, weights: dict[tuple[str, str], float] | None = None) -> Counts:
    """Cross-tab figures of every choice variable, counted in PostgreSQL (`python_count` is the tests' reference)."""
    cells = _Cells(survey, spec, weights)
    questions = list(cells.structure.questions)
    sig_vars = cells.signature_variables()
    sig_qids = sorted({cells.index.question_of[v].id for v in sig_vars if v in cells.index.question_of})
    params: dict[str, Any] = {"survey": survey.pk, "statuses": statuses(spec.include_partial),
                              "sig_qids": sig_qids or [0], "sig_vars": sig_vars or [""]}
    sql = _SIGNATURES.format(register=_register_select(cells.register_used()), prefilter=_prefilter(cells, params),
                             **_tables())
    kept: list[tuple[int, int, float, str]] = []
    cc_cells: list[int] = []
    cc_cols: list[str | None] = []
    with connection.cursor() as cursor, local_settings(cursor, COUNT_SETTINGS):
        for variables_, values, reg, n, ids in fetch_hashed(cursor, sql, params):
            placed = cells.place(variables_, values, reg, n)
            if placed is None:
                continue
            kid, cols, weight = placed
            cell = len(kept) + 1
            kept.append((cell, kid, weight, ids))
            cc_cells.extend([cell] * len(cols))
            cc_cols.extend(cols)
        if not kept:
            return cells.counts
        pairs = sorted({(kid, qid) for kid in {k[1] for k in kept} for qid in cells.shown_ids[kid]})
        multi = [q for q in questions if q.type == "multi"]
        choice = [q for q in questions if q.type in CHOICE_TYPES]
        params = {
            "cells": [k[0] for k in kept], "cell_kids": [k[1] for k in kept], "cell_w": [k[2] for k in kept],
            "cell_ids": [k[3] for k in kept], "cc_cells": cc_cells, "cc_cols": cc_cols,
            "kids": [p[0] for p in pairs] or [0], "qids": [p[1] for p in pairs] or [0],
            "choice_vars": [v for q in choice for v in q.choice_variables] or [""],
            "multi_qids": [q.id for q in multi] or [0], "multi_vars": [q.code for q in multi] or [""],
        }
        rows = fetch_hashed(cursor, _COUNTS.format(**_tables()), params)
    multi_codes = {str(q.id): q.code for q in multi}
    for kind, variable, value, col, n in rows:
        if kind == "m":
            cells.counts.base[(multi_codes[variable], col)] = n
        else:
            cells.counts.freq[(variable, value, col)] = n
            if variable not in multi_codes.values():
                _add(cells.counts.base, (variable, col), n)
    return cells.counts


def python_count(survey: Survey, spec: Spec, weights: dict[tuple[str, str], float] | None = None) -> Counts:
    """The same figures response by response (SQLite for `make run`)."""
    cells = _Cells(survey, spec, weights)
    names = cells.signature_variables()
    choice_vars = {v for q in cells.structure.questions if q.type in CHOICE_TYPES for v in q.choice_variables}
    multi = {q.code for q in cells.structure.questions if q.type == "multi"}
    responses = Response.objects.filter(survey=survey, status__in=statuses(spec.include_partial)).select_related(
        "invitation__member")
    answers_of: dict[int, list[tuple[int, str, str]]] = {}
    for rid, qid, variable, value in Answer.objects.filter(response__in=responses).exclude(value="").values_list(
            "response_id", "question_id", "variable", "value"):
        answers_of.setdefault(rid, []).append((qid, variable, value))
    for response in responses:
        member = response.invitation.member
        reg = {"land": member.land, "groessenklasse": str(member.groessenklasse), "typ": member.typ}
        rows = answers_of.get(response.pk, [])
        sig = [(v, x) for _, v, x in rows if v in names]
        placed = cells.place([v for v, _ in sig], [x for _, x in sig], [reg[n] for n in cells.register_used()], 1)
        if placed is None:
            continue
        kid, cols, weight = placed
        shown = cells.shown_ids[kid]
        seen: set[str] = set()
        for qid, variable, value in rows:
            if qid not in shown or variable not in choice_vars:
                continue
            for col in cols:
                _add(cells.counts.freq, (variable, value, col), weight)
                if variable not in multi or variable not in seen:
                    _add(cells.counts.base, (variable, col), weight)
            seen.add(variable)
    return cells.counts


# --- tables --------------------------------------------------------------------------------


def columns(survey: Survey, spec: Spec, counts: Counts) -> list[tuple[str, str]]:
    """The columns of the chosen split: every option of a question, register values present."""
    var = variable_map(survey)[spec.by]
    if var.kind == "register":
        return [(code, label) for code, label in var.values if code in counts.respondents]
    return list(var.values)


def _pct(count: float, base: float) -> float | None:
    return count / base if base else None


def tables(survey: Survey, spec: Spec, counts: Counts) -> dict[str, Any]:
    """JSON-serialisable cross-tabs, one per choice variable, in questionnaire order."""
    known = variable_map(survey)
    cols = columns(survey, spec, counts)
    keys: list[str | None] = [c for c, _ in cols] + [TOTAL]
    out = []
    for question in get_structure(survey).questions:
        if question.type not in CHOICE_TYPES:
            continue
        for variable in question.choice_variables:
            bases = [counts.base.get((variable, k), 0) for k in keys]
            shown = [counts.shown.get((question.code, k), 0) for k in keys]
            rows = []
            for option in question.options:
                cnt = [counts.freq.get((variable, option.code, k), 0) for k in keys]
                rows.append({"code": option.code, "label": option.label, "counts": cnt,
                             "percents": [_pct(c, b) for c, b in zip(cnt, bases, strict=True)]})
            out.append({
                "code": question.code, "variable": variable, "type": question.type,
                "text": known[variable].label, "by": spec.by,
                "columns": [{"code": c, "label": lbl} for c, lbl in cols] + [{"code": "", "label": "Gesamt"}],
                "rows": rows, "bases": bases, "missing": [s - b for s, b in zip(shown, bases, strict=True)],
            })
    return {
        "spec": spec.as_dict(), "by_label": known[spec.by].label,
        "filter_text": spec.filter.describe(known) if spec.filter else "",
        "respondents": counts.respondents.get(TOTAL, 0), "weighted": spec.weighted,
        "crosstabs": out,
    }


def compute(survey: Survey, spec: Spec) -> dict[str, Any]:
    """All cross-tabs for `spec` from one snapshot (weights computed in the same snapshot)."""
    with snapshot():
        weights = None
        if spec.weighted:
            weights = rake_weights(survey, spec.include_partial).weights
        return tables(survey, spec, count(survey, spec, weights))


def describe(spec: Spec, known: dict[str, Variable]) -> str:
    by = known[spec.by]
    parts = [_("nach %(by)s") % {"by": by.label if by.kind == "register" else f"{by.code} ({by.label})"}]
    if spec.filter:
        parts.append(_("nur %(filter)s") % {"filter": spec.filter.describe(known)})
    if spec.weighted:
        parts.append(_("gewichtet"))
    return ", ".join(parts)


def parse_values(raw: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip() for v in raw if v and v.strip()))
