"""Benchmark of reading answers at 100,000 KGSt responses: the free-text overview (answer counts
of every free-text variable), one free-text list (all answers, and a search), and a single
response's page data, next to a bare count query in the same run.

    .venv/bin/python -m bench.freetexts_bench                  # 100,000 responses
    .venv/bin/python -m bench.freetexts_bench --sizes 2000     # quick look

Creates its own database `bench_freetexts` (override with BENCH_DATABASE_URL), migrates, loads
the KGSt questionnaire and generates the responses as export_bench does (10 % partial, "nasty"
texts). Best of 3 each. The overview is what the page computes on a cache miss (the page caches it
for a minute, keyed by the data version, like the cross-tabs).
"""

from __future__ import annotations

import os

os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_freetexts")

from bench import export_bench as eb  # noqa: E402  (reads BENCH_DATABASE_URL at import)


def measure(n: int) -> dict:
    from exports.analysis import freetexts
    from responses.detail import history
    from responses.models import Response
    from surveys.models import Survey

    survey = Survey.objects.get(slug=eb.SLUG)
    eb._populate(survey, n)
    out: dict = {"n": n, "bare_count_s": eb._best(lambda: eb.bare_count(survey))}
    out["overview_s"] = eb._best(lambda: freetexts.counts(survey))
    out["counts"] = freetexts.counts(survey)
    from django.core.paginator import Paginator

    def first_page(variable: str, search: str, number: int = 1) -> int:
        """What the page does: the shown rule, the count and one page of 25 rows."""
        page = Paginator(freetexts.answers(survey, variable, search), 25).get_page(number)
        list(page)
        return page.paginator.count

    for variable, search, number in (("H1_anmerkungen", "", 1), ("H1_anmerkungen", "", 2000),
                                     ("H1_anmerkungen", "berlin", 1), ("D1_extern_7_text", "", 1),
                                     ("F1_hemmnisse_7_text", "", 1)):
        out.setdefault("lists", []).append({
            "variable": variable, "search": search, "page": number, "answers": first_page(variable, search),
            "seconds": eb._best(lambda v=variable, s=search, p=number: first_page(v, s, p)),
        })
    response = Response.objects.filter(survey=survey, status="submitted").select_related("survey").first()
    out["response_page_s"] = eb._best(lambda: (history.answers_view(response), history.history(response)))
    return out


def report(results: list[dict]) -> None:
    for r in results:
        floor = r["bare_count_s"]
        print(f"\n{r['n']:,} responses; bare count query {floor:.3f} s")
        print(f"free-text overview (counts of {len(r['counts'])} variables): {r['overview_s']:.3f} s "
              f"({r['overview_s'] / floor:.2f}x floor)")
        print("one list page (shown rule, count, 25 rows; page 2000 = the last page where there are fewer):")
        print(f"{'variable':>22} {'search':>8} {'page':>5} {'answers':>8} {'s':>7} {'x floor':>7}")
        for c in r["lists"]:
            print(f"{c['variable']:>22} {c['search']!r:>8} {c['page']:>5} {c['answers']:>8} {c['seconds']:>7.3f} "
                  f"{c['seconds'] / floor:>7.2f}")
        print(f"one response's page data (answers + history): {r['response_page_s'] * 1000:.1f} ms")


def main() -> None:
    eb.cli(__doc__, measure, report)


if __name__ == "__main__":
    main()
