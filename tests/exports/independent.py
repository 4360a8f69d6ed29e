"""An independent count of result figures straight from answer plans (no database, no exports code)."""

from collections import Counter

from harness.answer_data import Plan
from responses.models import Response


def _count(entry: dict, plan: Plan, code: str, variable: str) -> None:
    """Add one plan to a {"shown", "base", "options"} entry: shown if its question was, counted if answered."""
    if code not in plan.shown:
        return
    entry["shown"] += 1
    value = plan.answers.get(variable)
    if value in (None, "", []):
        return
    entry["base"] += 1
    for v in value if isinstance(value, list) else [value]:
        entry["options"][v] += 1


def count_plans(structure, plans: list[Plan], include_partial: bool = False) -> dict:
    """{code: {"shown", "base", "options": Counter}} and matrix rows by row code."""
    out: dict = {}
    chosen = [p for p in plans if include_partial or p.status == Response.Status.SUBMITTED]
    for q in structure.questions:
        variables = [r.code for r in q.rows] if q.type == "matrix" else [q.code]
        for variable in variables:
            entry = {"shown": 0, "base": 0, "options": Counter()}
            for plan in chosen:
                _count(entry, plan, q.code, variable)
            out[variable] = entry
    return out


def register_value(plan: Plan, variable: str) -> str:
    from invitations.models import groessenklasse

    if variable == "groessenklasse":
        return str(groessenklasse(plan.member["einwohner"]))
    return plan.member[variable]


def plan_values(structure, plan: Plan, variable: str) -> list[str]:
    """A plan's codes for a register or choice variable (answers exist only for shown questions)."""
    if variable in ("land", "groessenklasse", "typ"):
        return [register_value(plan, variable)]
    question = structure.question_for_variable(variable)
    if question is None or question.code not in plan.shown:
        return []
    value = plan.answers.get(variable)
    if value in (None, "", []):
        return []
    return list(value) if isinstance(value, list) else [value]


def count_crosstab(structure, plans: list[Plan], by: str, filter_variable: str | None = None,
                   filter_values: tuple[str, ...] = (), include_partial: bool = False) -> dict:
    """{variable: {col: {"shown", "base", "options": Counter}}}, col None = all filtered respondents."""
    out: dict = {}
    chosen = [p for p in plans if include_partial or p.status == Response.Status.SUBMITTED]
    if filter_variable:
        chosen = [p for p in chosen if set(plan_values(structure, p, filter_variable)) & set(filter_values)]
    for q in structure.questions:
        if q.type not in ("single", "multi", "matrix"):
            continue
        for variable in [r.code for r in q.rows] if q.type == "matrix" else [q.code]:
            per_col: dict = {}
            for plan in chosen:
                for col in [None, *dict.fromkeys(plan_values(structure, plan, by))]:
                    _count(per_col.setdefault(col, {"shown": 0, "base": 0, "options": Counter()}), plan, q.code,
                           variable)
            out[variable] = per_col
    return out
