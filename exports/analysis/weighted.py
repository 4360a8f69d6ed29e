"""Weighted frequency tables: every choice question with the representativeness weights (raking on
Land × size class against the member register, `representativeness.rake_weights`).

A weighted table is the "Gesamt" column of a weighted cross-tab (`crosstab.count` with a weight per
signature cell), so the same "shown" rule decides its base. Its counts are sums of weights (not
whole numbers); the unweighted base and missing answers — the real number of respondents — stay
beside them, and small-cell protection (`protection`) judges the unweighted base: weighting can
make 3 respondents look like 6, never enough to publish a percentage. Number and text questions
are not weighted (they keep their unweighted figures, marked as such).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from surveys.models import Survey
from surveys.structure import get_structure

from . import crosstab
from .aggregation import CHOICE_TYPES, data_stamp, frequency_table, raw_counts, snapshot
from .representativeness import rake_weights

METHOD = "Raking auf Land × Größenklasse gegen das Mitgliederregister"


def _options(question: Any, variable: str, counts: crosstab.Counts, base: float) -> list[dict[str, Any]]:
    rows = []
    for option in question.options:
        n = counts.freq.get((variable, option.code, crosstab.TOTAL), 0)
        rows.append({"code": option.code, "label": option.label, "count": n, "percent": n / base if base else None})
    return rows


def _weighted(table: dict[str, Any], question: Any, counts: crosstab.Counts) -> dict[str, Any]:
    shown = counts.shown.get((question.code, crosstab.TOTAL), 0)
    out = {**table, "weighted": True, "shown_weighted": shown}
    if question.type == "matrix":
        rows = []
        unweighted = {r["code"]: r for r in table["rows"]}
        for row in question.rows:
            stored = unweighted.get(row.code, {"base": 0, "missing": 0, "code": row.code, "label": row.label})
            base = counts.base.get((row.code, crosstab.TOTAL), 0)
            options = _options(question, row.code, counts, base)
            rows.append({**stored, "base": base, "missing": shown - base, "options": options,
                         "unweighted_base": stored["base"], "unweighted_missing": stored["missing"]})
        out["rows"] = rows
        return out
    base = counts.base.get((question.code, crosstab.TOTAL), 0)
    out.update(base=base, missing=shown - base, options=_options(question, question.code, counts, base),
               unweighted_base=table["base"], unweighted_missing=table["missing"])
    return out


def weight_questions(survey: Survey, questions: list[dict[str, Any]] | None = None,
                     include_partial: bool = False) -> dict[str, Any]:
    """The frequency tables with the choice questions weighted, read in one snapshot: `questions` are
    the unweighted tables read in the caller's snapshot (aggregation.build_tables), or None to count
    them here too. Returns the tables, the raking's report and the data stamp."""
    with snapshot():
        stamp = data_stamp(survey, include_partial)
        if questions is None:
            raw = raw_counts(survey, include_partial)
            questions = [frequency_table(q, raw) for q in get_structure(survey).questions]
        raking = rake_weights(survey, include_partial)
        spec = crosstab.Spec(by="land", include_partial=include_partial, weighted=True)
        counts = crosstab.count(survey, spec, raking.weights)
    by_code = {q.code: q for q in get_structure(survey).questions}
    out = []
    for table in questions:
        question = by_code.get(table["code"])
        if question is None or question.type not in CHOICE_TYPES or table["type"] != question.type:
            out.append({**table, "weighted": False})
            continue
        out.append(_weighted(table, question, counts))
    weighting = {"method": METHOD, "converged": raking.converged, "problems": raking.problems,
                 "respondents": counts.respondents.get(crosstab.TOTAL, 0)}
    return {"questions": out, "data_stamp": stamp, "computed_at": timezone.now().isoformat(), "weighting": weighting}
