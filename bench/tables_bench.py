"""Benchmark of the analyst tables at 100,000 KGSt responses: cross-tabs by any one variable
with one filter, the representativeness table and the raking weights, next to a bare count.

    .venv/bin/python -m bench.tables_bench                  # 100,000 responses
    .venv/bin/python -m bench.tables_bench --sizes 1600     # quick look

Creates its own database `bench_tables` (override with BENCH_DATABASE_URL), migrates, loads the
KGSt questionnaire and generates the responses as export_bench does (10 % partial). Then, in the
same run, best of 3 each:
- floor: the bare `SELECT question, variable, value, count(*) … GROUP BY` over submitted answers;
- every choice question cross-tabbed by one variable with one filter (`crosstab.compute`), for
  several (by, filter) pairs: register and question variables, single and multiple choice;
- the same weighted (raking weights computed inside);
- `representativeness` (three register comparisons with chi-square) plus `rake_weights`;
- for reference, today's `compute_tables` (all frequencies and the Land/size class cross-tabs).
Prints the figures, the ratio to the floor and the targets (cross-tabs <= 2 s, representativeness
and weights <= 1 s).
"""

from __future__ import annotations

import os

os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_tables")

from bench import export_bench as eb  # noqa: E402  (reads BENCH_DATABASE_URL at import)

CASES = [
    ("land", ("B1_nutzung", ("1",))),
    ("groessenklasse", ("land", ("Bayern",))),
    ("typ", ("groessenklasse", ("5", "6", "7"))),
    ("B1_nutzung", ("land", ("Nordrhein-Westfalen", "Hessen"))),
    ("D1_extern", ("typ", ("Stadt",))),
    ("C1_3", ("B3_dauer", ("3",))),
]


def measure(n: int) -> dict:
    from exports.analysis import crosstab
    from exports.analysis.representativeness import rake_weights, representativeness_and_weights
    from surveys.models import Survey

    survey = Survey.objects.get(slug=eb.SLUG)
    eb._populate(survey, n)

    from exports.analysis.aggregation import compute_tables

    out = {"n": n, "bare_count_s": eb._best(lambda: eb.bare_count(survey)), "crosstabs": [],
           "all_tables_s": eb._best(lambda: compute_tables(survey))}  # today's tables, for reference
    for by, (variable, values) in CASES:
        spec = crosstab.Spec(by=by, filter=crosstab.Filter(variable, values))
        tables = crosstab.compute(survey, spec)
        out["crosstabs"].append({
            "by": by, "filter": f"{variable} in {list(values)}", "tables": len(tables["crosstabs"]),
            "respondents": tables["respondents"], "seconds": eb._best(lambda s=spec: crosstab.compute(survey, s)),
        })
    weighted = crosstab.Spec(by="B1_nutzung", filter=crosstab.Filter("land", ("Bayern",)), weighted=True)
    out["weighted_crosstab_s"] = eb._best(lambda: crosstab.compute(survey, weighted))
    out["representativeness_s"] = eb._best(lambda: representativeness_and_weights(survey))
    raking = rake_weights(survey)
    out["raking"] = {"converged": raking.converged, "iterations": raking.iterations, "cells": len(raking.weights)}
    return out


def report(results: list[dict]) -> None:
    for r in results:
        floor = r["bare_count_s"]
        print(f"\n{r['n']:,} responses; bare count query {floor:.3f} s; today's all result tables "
              f"(compute_tables, Land and size class) {r['all_tables_s']:.3f} s")
        print(f"{'by':>16} {'filter':>44} {'tables':>6} {'resp.':>7} {'s':>7} {'x floor':>7}")
        for c in r["crosstabs"]:
            print(f"{c['by']:>16} {c['filter']:>44} {c['tables']:>6} {c['respondents']:>7.0f} {c['seconds']:>7.3f} "
                  f"{c['seconds'] / floor:>7.2f}")
        worst = max(c["seconds"] for c in r["crosstabs"])
        print(f"worst cross-tab set: {worst:.2f} s (target <= 2 s) -> {'OK' if worst <= 2 else 'MISSED'}")
        print(f"weighted cross-tab set: {r['weighted_crosstab_s']:.2f} s "
              f"-> {'OK' if r['weighted_crosstab_s'] <= 2 else 'MISSED'}")
        rep = r["representativeness_s"]
        print(f"representativeness + weights: {rep:.3f} s (target <= 1 s; {rep / floor:.2f}x floor) "
              f"-> {'OK' if rep <= 1 else 'MISSED'}; raking {r['raking']}")


def main() -> None:
    eb.cli(__doc__, measure, report)


if __name__ == "__main__":
    main()
