"""Export benchmark: result tables and the workbook for 1,600 and 100,000 KGSt responses.

    .venv/bin/python -m bench.export_bench                 # 1,600 and 100,000 responses
    .venv/bin/python -m bench.export_bench --sizes 1600    # quick look

1. Drops and creates the database `bench_export` (override with BENCH_DATABASE_URL), migrates,
   loads the KGSt questionnaire.
2. Per size: replaces all responses with N generated ones (harness/answer_data.py, COPY; 10 %
   partial, some hostile texts), VACUUM ANALYZE, then measures in the same run:
   - aggregation: `compute_tables` (all frequencies + cross-tabs, one snapshot), best of 3;
   - floor for counting: one bare `SELECT question, variable, value, count(*) … GROUP BY` over
     the submitted answers, best of 3;
   - workbook: `build_export(xlsx)` in a fresh subprocess: wall time and peak RSS
     (ru_maxrss; the Django process alone is reported as "baseline");
   - floor for the workbook: in another subprocess, the same raw data matrix (collected
     beforehand, not timed) written by bare openpyxl write-only (`ws.append` + `save`).
3. Prints the figures and the ratios against the targets.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness.serve import ROOT, drop_database, recreate_database

DB_URL = os.getenv("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_export")
SLUG = "kgst-social-media-2013"


def _setup_django() -> None:
    os.environ["DATABASE_URL"] = DB_URL
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("CELERY_BROKER_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _rss_mb() -> float:
    """Peak RSS of this process image (VmHWM; ru_maxrss would include the parent's peak at fork)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(kind: str, out: str) -> None:
    """Runs in a fresh process: one workbook (or the bare floor) and its peak RSS."""
    _setup_django()
    from surveys.models import Survey

    survey = Survey.objects.get(slug=SLUG)
    baseline = _rss_mb()
    if kind == "workbook":
        from exports.formats.registry import build_export

        start = time.perf_counter()
        rows = build_export(survey, "xlsx", out)
        elapsed = time.perf_counter() - start
    else:
        from openpyxl import Workbook

        from exports.analysis import datarows

        cols = datarows.columns(survey)
        from exports.formats.safe import clean_text

        # the same data matrix, collected untimed; strings cleaned so the bare library accepts them
        matrix = [[clean_text(v) if v.__class__ is str else v for v in row]
                  for row in datarows.iter_rows(survey, cols)]
        header = [c.code for c in cols]
        baseline = _rss_mb()
        start = time.perf_counter()
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("Daten")
        ws.append(header)
        for row in matrix:
            ws.append(row)
        wb.save(out)
        elapsed = time.perf_counter() - start
        rows = len(matrix)
    print(json.dumps({"seconds": elapsed, "peak_mb": _rss_mb(), "baseline_mb": baseline, "rows": rows,
                      "bytes": os.path.getsize(out)}))


def _run_child(kind: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / f"{kind}.xlsx")
        result = subprocess.run([sys.executable, "-m", "bench.export_bench", "--child", kind, "--out", out],
                                cwd=ROOT, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise SystemExit(result.stderr)
        return json.loads(result.stdout.strip().splitlines()[-1])


def _best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _populate(survey, n: int) -> None:
    from django.db import connection

    from exports.analysis.rawsql import sql
    from harness.answer_data import generate
    from invitations.models import Invitation, Member
    from responses.models import Answer, Response
    from surveys.structure import get_structure

    with connection.cursor() as cursor:
        cursor.execute(sql("TRUNCATE {A}, {R}, {I}, {M} RESTART IDENTITY CASCADE",
                           A=Answer, R=Response, I=Invitation, M=Member))
    generate(survey, get_structure(survey), n, seed=n, partial_share=0.1, nasty=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


BARE_COUNT = """
SELECT a.{A.question}, a.{A.variable}, a.{A.value}, count(*)
FROM {A} a JOIN {R} r ON r.{R.id} = a.{A.response}
WHERE r.{R.survey} = %s AND r.{R.status} = %s
GROUP BY 1, 2, 3"""


def bare_count(survey) -> None:
    """The floor for counting: one GROUP BY over the survey's submitted answers."""
    from django.db import connection

    from exports.analysis.rawsql import sql
    from responses.models import Answer, Response

    with connection.cursor() as cursor:
        cursor.execute(sql(BARE_COUNT, A=Answer, R=Response), [survey.pk, Response.Status.SUBMITTED])
        cursor.fetchall()


def measure(n: int) -> dict:

    from exports.analysis.aggregation import compute_tables
    from responses.models import Answer
    from surveys.models import Survey

    survey = Survey.objects.get(slug=SLUG)
    start = time.perf_counter()
    _populate(survey, n)
    generated = time.perf_counter() - start
    answers = Answer.objects.count()
    aggregation = _best(lambda: compute_tables(survey))
    bare_count_s = _best(lambda: bare_count(survey))
    workbook = _run_child("workbook")
    floor = _run_child("floor")
    return {"n": n, "answers": answers, "generate_s": generated, "aggregation_s": aggregation,
            "bare_count_s": bare_count_s, "workbook": workbook, "floor": floor}


def report(results: list[dict]) -> None:
    print()
    print(f"{'responses':>10} {'answers':>10} | {'tables s':>8} {'bare cnt':>8} | {'workbook s':>10} "
          f"{'floor s':>8} {'ratio':>6} | {'peak MB':>8} {'base MB':>8} {'floor MB':>8} | {'rows':>7} {'MB file':>8}")
    for r in results:
        wb, fl = r["workbook"], r["floor"]
        print(f"{r['n']:>10,} {r['answers']:>10,} | {r['aggregation_s']:>8.3f} {r['bare_count_s']:>8.3f} | "
              f"{wb['seconds']:>10.2f} {fl['seconds']:>8.2f} {wb['seconds'] / fl['seconds']:>6.2f} | "
              f"{wb['peak_mb']:>8.1f} {wb['baseline_mb']:>8.1f} {fl['peak_mb']:>8.1f} | {wb['rows']:>7,} "
              f"{wb['bytes'] / 1e6:>8.1f}")
    print()
    by_n = {r["n"]: r for r in results}
    if 100_000 in by_n:
        r = by_n[100_000]
        ratio = r["workbook"]["seconds"] / r["floor"]["seconds"]
        print(f"100k workbook / bare write of its data matrix: {ratio:.2f}x (target <= 1.5x)"
              f" -> {'OK' if ratio <= 1.5 else 'MISSED'}")
        print(f"100k all result tables: {r['aggregation_s']:.2f} s (target <= 2 s; bare count query "
              f"{r['bare_count_s']:.2f} s, ratio {r['aggregation_s'] / r['bare_count_s']:.1f}x)"
              f" -> {'OK' if r['aggregation_s'] <= 2 else 'MISSED'}")
        print(f"100k workbook peak RSS: {r['workbook']['peak_mb']:.0f} MB (target <= 300 MB)"
              f" -> {'OK' if r['workbook']['peak_mb'] <= 300 else 'MISSED'}")
    if 1600 in by_n:
        r = by_n[1600]
        print(f"1,600 workbook: {r['workbook']['seconds']:.2f} s (target <= 3 s)"
              f" -> {'OK' if r['workbook']['seconds'] <= 3 else 'MISSED'}")
    if 1600 in by_n and 100_000 in by_n:
        small, big = by_n[1600]["workbook"]["peak_mb"], by_n[100_000]["workbook"]["peak_mb"]
        print(f"peak RSS 1,600 vs 100,000: {small:.0f} MB vs {big:.0f} MB (+{big - small:.0f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1600,100000")
    parser.add_argument("--child", choices=["workbook", "floor"])
    parser.add_argument("--out")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.out)
        return
    run(args.sizes, measure, report, args.keep)


def cli(description: str, measure_one, report_all) -> None:
    """`--sizes` from the command line, then run(): the whole main() of a benchmark built on this one."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000")
    run(parser.parse_args().sizes, measure_one, report_all)


def run(sizes: str, measure_one, report_all, keep: bool = False) -> None:
    """A fresh database with the KGSt survey, `measure_one(n)` per size (one JSON line each), then
    `report_all(results)`; the database is dropped unless `keep` (shared with tables_bench)."""
    recreate_database(DB_URL)
    _setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_survey", str(ROOT / "surveys/definitions/kgst-social-media-2013.yaml"), verbosity=0)
    results = []
    for n in (int(s) for s in sizes.split(",")):
        print(f"measuring {n:,} responses …", flush=True)
        results.append(measure_one(n))
        print(json.dumps(results[-1]), flush=True)
    report_all(results)
    if not keep:
        from django.db import connections

        connections.close_all()
        drop_database(DB_URL)


if __name__ == "__main__":
    main()
