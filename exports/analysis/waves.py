"""Two waves of a survey side by side: per question and option the share in each wave, the
difference in percentage points and each base; questions that exist in one wave only are listed.

Waves share variable codes (a wave is a copy of a survey), so codes are the key. Both sides are
the ordinary frequency tables (`aggregation`, counted in PostgreSQL) with small-cell protection
applied: a protected share is not compared either.
"""

from __future__ import annotations

from typing import Any

from surveys.models import Question, Survey

from . import aggregation, protection


def comparable_surveys(survey: Survey) -> list[Survey]:
    """Other surveys that share at least one question code with `survey` (candidates for a wave)."""
    codes = Question.objects.filter(survey=survey).values("code")
    return list(Survey.objects.exclude(pk=survey.pk).filter(questions__code__in=codes).distinct()
                .order_by("-created_at"))


def _variables(table: dict[str, Any]) -> list[tuple[str, str, list[dict[str, Any]], float]]:
    """(variable, label, options, base) of a frequency table: the question, or each matrix row."""
    if table["type"] == "matrix":
        return [(r["code"], r["label"], r["options"], r["base"]) for r in table["rows"]]
    if "options" in table:
        return [(table["code"], "", table["options"], table["base"])]
    return []


def _points(a: float | None, b: float | None) -> float | None:
    return (b - a) * 100 if a is not None and b is not None else None


def compare_tables(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """Compare two sets of (protected) frequency tables by code."""
    a = {t["code"]: t for t in first["questions"]}
    b = {t["code"]: t for t in second["questions"]}
    questions = []
    for code, ta in a.items():
        tb = b.get(code)
        if tb is None or tb["type"] != ta["type"]:
            continue
        rows_b = {v: (opts, base) for v, _, opts, base in _variables(tb)}
        variables = []
        for variable, label, opts_a, base_a in _variables(ta):
            opts_b, base_b = rows_b.get(variable, ([], 0))
            by_code_b = {o["code"]: o for o in opts_b}
            options = []
            for o in opts_a + [o for o in opts_b if o["code"] not in {x["code"] for x in opts_a}]:
                oa = next((x for x in opts_a if x["code"] == o["code"]), None)
                ob = by_code_b.get(o["code"])
                pa = oa["percent"] if oa else None
                pb = ob["percent"] if ob else None
                options.append({"code": o["code"], "label": o["label"], "first": pa, "second": pb,
                                "first_count": oa["count"] if oa else None, "second_count": ob["count"] if ob else None,
                                "difference_points": _points(pa, pb)})
            variables.append({"variable": variable, "label": label, "first_base": base_a, "second_base": base_b,
                              "options": options})
        if variables:
            questions.append({"code": code, "text": ta["text"], "type": ta["type"], "variables": variables})
    only_first = [{"code": c, "text": t["text"]} for c, t in a.items() if c not in b]
    only_second = [{"code": c, "text": t["text"]} for c, t in b.items() if c not in a]
    different = [{"code": c, "text": t["text"]} for c, t in a.items() if c in b and b[c]["type"] != t["type"]]
    return {"questions": questions, "only_first": only_first, "only_second": only_second,
            "different_type": different, "first_respondents": first["respondents"],
            "second_respondents": second["respondents"]}


def compare(first: Survey, second: Survey, include_partial: bool = False) -> dict[str, Any]:
    tables = []
    for survey in (first, second):
        raw = aggregation.compute_tables(survey, include_partial)
        tables.append(protection.protect_tables(raw, survey.min_base))
    result = compare_tables(*tables)
    result.update(first=first.slug, second=second.slug, first_title=first.title, second_title=second.title)
    return result

