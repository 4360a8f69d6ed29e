"""An independent count of result figures straight from answer plans (no database, no exports code)."""

from collections import Counter

from bench.export_data import Plan


def count_plans(structure, plans: list[Plan], include_partial: bool = False) -> dict:
    """{code: {"shown", "base", "options": Counter}} and matrix rows by row code."""
    out: dict = {}
    chosen = [p for p in plans if include_partial or p.status == "submitted"]
    for q in structure.questions:
        variables = [r.code for r in q.rows] if q.type == "matrix" else [q.code]
        for variable in variables:
            entry = {"shown": 0, "base": 0, "options": Counter()}
            for plan in chosen:
                if q.code not in plan.shown:
                    continue
                entry["shown"] += 1
                value = plan.answers.get(variable)
                if value in (None, "", []):
                    continue
                entry["base"] += 1
                for v in value if isinstance(value, list) else [value]:
                    entry["options"][v] += 1
            out[variable] = entry
    return out
