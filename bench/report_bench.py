"""Benchmark of the PDF results report at 100,000 KGSt responses: wall time and peak memory, next
to a bare count query measured in the same run.

    .venv/bin/python -m bench.report_bench                  # 100,000 responses
    .venv/bin/python -m bench.report_bench --sizes 1600     # quick look

Creates its own database `bench_report` (override with BENCH_DATABASE_URL), migrates, loads the
KGSt questionnaire and generates the responses as export_bench does (10 % partial, hostile texts).
Then, in the same run:
- floor: the bare `SELECT question, variable, value, count(*) … GROUP BY` over submitted answers,
  best of 3 (bench/export_bench.py's BARE_COUNT);
- the report: `build_export(survey, "pdf", …)` — the code an ExportJob runs in the Celery worker —
  in a fresh process: wall time and peak memory, twice: the process's own high-water mark (VmHWM)
  and the RSS of its process tree (it and any children) sampled every 20 ms; the larger counts.
  (RUSAGE_CHILDREN is not used: a child forked from a 150 MB process reports the parent's pages it
  shared at the fork as its own.) The same process then times the counting part (`report.build`)
  and the rendering part (`render_pdf` of exports/formats/exporters/pdf.py) alone.
Prints the figures, the ratio to the floor and the targets (<= 60 s, <= 300 MB).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_report")

from bench import export_bench as eb  # noqa: E402  (reads BENCH_DATABASE_URL at import)

TARGET_SECONDS = 60
TARGET_MB = 300


def _child(out: str) -> None:
    """Runs in a fresh process: one PDF report, its wall time and peak memory."""
    eb._setup_django()
    from exports.analysis import report
    from exports.formats.exporters.pdf import render_pdf
    from exports.formats.registry import build_export
    from surveys.models import Survey

    survey = Survey.objects.get(slug=eb.SLUG)
    baseline = eb._rss_mb()
    start = time.perf_counter()
    respondents = build_export(survey, "pdf", out)
    elapsed = time.perf_counter() - start
    peak = eb._rss_mb()
    start = time.perf_counter()
    data = report.build(survey)
    counting = time.perf_counter() - start
    start = time.perf_counter()
    render_pdf(data)
    rendering = time.perf_counter() - start
    pages = subprocess.run(["pdfinfo", out], capture_output=True, text=True, check=False).stdout
    page_count = next((int(line.split()[-1]) for line in pages.splitlines() if line.startswith("Pages:")), None)
    print(json.dumps({"seconds": elapsed, "peak_mb": peak, "baseline_mb": baseline,
                      "respondents": respondents, "bytes": os.path.getsize(out), "pages": page_count,
                      "counting_s": counting, "rendering_s": rendering}))


def _run_child() -> dict:
    """The child, with the RSS of its whole process tree sampled every 20 ms (psutil): the sum over
    the process and its children, so a helper process (a fork for `ldconfig`, say) counts as used."""
    import psutil

    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "bericht.pdf")
        proc = subprocess.Popen([sys.executable, "-m", "bench.report_bench", "--child", "--out", out],
                                cwd=eb.ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        tree_peak = 0
        root = psutil.Process(proc.pid)
        while proc.poll() is None:
            try:
                procs = [root, *root.children(recursive=True)]
                tree_peak = max(tree_peak, sum(p.memory_info().rss for p in procs if p.is_running()))
            except psutil.Error:
                pass
            time.sleep(0.02)
        stdout, stderr = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(stderr)
        result = json.loads(stdout.strip().splitlines()[-1])
        result["tree_peak_mb"] = tree_peak / 2**20
        return result


def measure(n: int) -> dict:
    from surveys.models import Survey

    survey = Survey.objects.get(slug=eb.SLUG)
    eb._populate(survey, n)
    return {"n": n, "bare_count_s": eb._best(lambda: eb.bare_count(survey)), "report": _run_child()}


def report(results: list[dict]) -> None:
    print()
    print(f"{'responses':>10} | {'bare cnt s':>10} | {'report s':>8} {'x floor':>8} | {'counting s':>10} "
          f"{'render s':>8} | {'peak MB':>8} {'tree MB':>8} {'base MB':>8} | {'pages':>5} {'kB':>6}")
    for r in results:
        p = r["report"]
        print(f"{r['n']:>10,} | {r['bare_count_s']:>10.3f} | {p['seconds']:>8.2f} "
              f"{p['seconds'] / r['bare_count_s']:>8.1f} | {p['counting_s']:>10.2f} {p['rendering_s']:>8.2f} | "
              f"{p['peak_mb']:>8.1f} {p['tree_peak_mb']:>8.1f} {p['baseline_mb']:>8.1f} | {p['pages'] or 0:>5} "
              f"{p['bytes'] / 1e3:>6.0f}")
    for r in results:
        p = r["report"]
        peak = max(p["peak_mb"], p["tree_peak_mb"])
        print(f"{r['n']:,} responses: PDF report {p['seconds']:.1f} s (target <= {TARGET_SECONDS} s) -> "
              f"{'OK' if p['seconds'] <= TARGET_SECONDS else 'MISSED'}; peak RSS {peak:.0f} MB incl. children "
              f"(target <= {TARGET_MB} MB) -> {'OK' if peak <= TARGET_MB else 'MISSED'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--out")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()
    if args.child:
        _child(args.out)
        return
    eb.run(args.sizes, measure, report, keep=args.keep)


if __name__ == "__main__":
    main()
