"""Before/after: the three benchmarks of the issue's 15 % constraint, run on an old and this checkout.

    .venv/bin/python -m bench.before_after /path/to/old/checkout [--rounds N] [--quick]

Runs `bench.page_saves`, `bench.export_bench` and `bench.load.run_load` in the old checkout and in
this one, alternately (old, new, then new, old in the next round, so a drift of the machine's speed
hits both sides alike), `--rounds` times each. Every run is a subprocess with cwd = its checkout and
that checkout's own `.venv/bin/python`, so each side runs its own application code *and* its own
copy of the benchmark; the figures are read from what the benchmarks print, in the format they
printed at commit 0f412ae too (page_saves' table, export_bench's JSON line per size, run_load's
"requests:" and "latency ms:" lines), so any older checkout with those benchmarks can be the
"before". All runs use one database (`--database-url`, recreated and dropped by each benchmark) and
one Redis database (`--redis-url`), one after the other.

Prints per figure the median over the rounds before and after, after ÷ before, the cost (after ÷
before for times and memory, before ÷ after for rates, so above 1 is always worse) and whether the
cost is within the limit (default 1.15). Figures of a benchmark's own floor (a minimal Django view,
bare SQL, bare openpyxl) are shown too, marked "floor": they show how much the machine itself
drifted between the sides. Exit status 0 when every non-floor figure is within the limit.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# figure -> value; rates ("/s") and shares of the floor (", share") are better when higher
Figures = dict[str, float]

PAGE_LINE = re.compile(r"^(floor|page saves)\s+(\d+)\s+\d+\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+(\d+)\s")
LOAD_REQUESTS = re.compile(r"^requests: (\d+), errors: (\d+), requests/s: ([\d.]+)")
LOAD_LATENCY = re.compile(r"^latency ms: median ([\d.]+), p95 ([\d.]+), p99 ([\d.]+)")
LOAD_JOB = re.compile(r"^export job through the Celery worker: job \d+ .*?: done, ([\d.]+) s")


def parse_page_saves(text: str) -> Figures:
    figures: Figures = {}
    for line in text.splitlines():
        match = PAGE_LINE.match(line)
        if match:
            phase, conc = match[1], match[2]
            name = f"page_saves {phase} @{conc}"
            figures[f"{name} ops/s"] = float(match[3])
            for key, value in zip(("median ms", "p95 ms", "p99 ms"), match.group(4, 5, 6), strict=True):
                figures[f"{name} {key}"] = float(value)
    for conc in sorted({f.split("@")[1].split()[0] for f in figures}, key=int):
        floor = figures.get(f"page_saves floor @{conc} ops/s")
        pages = figures.get(f"page_saves page saves @{conc} ops/s")
        if floor and pages is not None:  # floor and pages alternate in one run: this share drifts less than either
            figures[f"page_saves @{conc} pages/floor, share"] = pages / floor
    return figures


def parse_export_bench(text: str) -> Figures:
    figures: Figures = {}
    for line in text.splitlines():
        if not line.startswith('{"n"'):
            continue
        r = json.loads(line)
        name = f"export_bench {r['n']:,}"
        figures[f"{name} tables s"] = r["aggregation_s"]
        figures[f"{name} floor bare count s"] = r["bare_count_s"]
        figures[f"{name} workbook s"] = r["workbook"]["seconds"]
        figures[f"{name} workbook peak MB"] = r["workbook"]["peak_mb"]
        figures[f"{name} floor bare write s"] = r["floor"]["seconds"]
    return figures


def parse_run_load(text: str) -> Figures:
    figures: Figures = {}
    for line in text.splitlines():
        if match := LOAD_REQUESTS.match(line):
            figures["run_load requests/s"] = float(match[3])
            figures["run_load errors"] = float(match[2])
        elif match := LOAD_LATENCY.match(line):
            for key, value in zip(("median ms", "p95 ms", "p99 ms"), match.groups(), strict=True):
                figures[f"run_load {key}"] = float(value)
        elif match := LOAD_JOB.match(line):
            figures["run_load export job s"] = float(match[1])
    return figures


PERCENTILES = ("50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%", "99.9%", "99.99%", "100%")
# request name -> (count, [(share, ms) at each of locust's percentiles])
RequestStats = dict[str, tuple[int, list[tuple[float, float]]]]


def read_locust_stats(run_dir: Path) -> RequestStats:
    """Per request name, the count and percentiles locust wrote to locust_stats.csv (old checkouts too)."""
    path = run_dir / "locust_stats.csv"
    if not path.exists():
        return {}
    stats: RequestStats = {}
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["Name"] == "Aggregated" or not int(row["Request Count"] or 0):
                continue
            points = [(float(p.rstrip("%")) / 100, float(row[p])) for p in PERCENTILES if row.get(p, "N/A") != "N/A"]
            stats[row["Name"]] = (int(row["Request Count"]), points)
    return stats


def _share(points: list[tuple[float, float]], ms: float) -> float:
    """Share of one name's requests at or below `ms`, linear between locust's percentiles (0 at 0 ms)."""
    low_p, low_v = 0.0, 0.0
    for p, v in points:
        if ms < v:
            return low_p + (p - low_p) * (ms - low_v) / (v - low_v) if v > low_v else low_p
        low_p, low_v = p, v
    return 1.0


def mixture_quantile(stats: RequestStats, names: set[str], q: float) -> float:
    """The q-quantile of the latencies of the requests named `names`, from each name's percentiles.

    The checkouts' request mixes differ when a later issue adds a step to the respondent's walk
    (the welcome page); latency over the requests both sides make compares like with like. Each
    name's distribution is known at locust's percentiles only (linear in between), so this is
    the smallest latency, in steps of 1 ms, at which the count-weighted share of requests at or
    below it reaches q.
    """
    rows = [stats[name] for name in names]
    total = sum(count for count, _points in rows)

    def share_at(ms: float) -> float:
        return sum(count * _share(points, ms) for count, points in rows) / total

    top = max(v for _count, points in rows for _p, v in points)
    return float(next((ms for ms in range(int(top) + 2) if share_at(ms) >= q - 1e-9), int(top) + 1))


def common_request_figures(before: list[RequestStats], after: list[RequestStats]) -> dict[str, tuple[list, list]]:
    """run_load latency over the request names every run of both sides made: figure -> (before, after)."""
    runs = before + after
    if not runs or not all(runs):
        return {}
    names = set.intersection(*(set(stats) for stats in runs))
    left_out = sorted(set.union(*(set(stats) for stats in runs)) - names)
    label = "run_load common requests"
    figures = {f"{label} {key}": ([mixture_quantile(s, names, q) for s in before],
                                  [mixture_quantile(s, names, q) for s in after])
               for key, q in (("median ms", 0.5), ("p95 ms", 0.95), ("p99 ms", 0.99))}
    if left_out:
        print(f"run_load common requests: left out (made by one side only): {', '.join(left_out)}")
    return figures


@dataclass
class Bench:
    module: str
    args: Callable[[argparse.Namespace], list[str]]
    parse: Callable[[str], Figures]
    env: Callable[[argparse.Namespace], dict[str, str]]


def _bench_env(args: argparse.Namespace) -> dict[str, str]:
    return {"BENCH_DATABASE_URL": args.database_url, "BENCH_REDIS_URL": args.redis_url}


BENCHES = {
    "page_saves": Bench(
        "bench.page_saves",
        lambda a: ["--duration", "4", "--warmup", "1", "--rounds", "2"] if a.quick
        else ["--duration", "10", "--warmup", "2", "--rounds", "2"],
        parse_page_saves, _bench_env),
    "export_bench": Bench(
        "bench.export_bench",
        lambda a: ["--sizes", a.export_sizes or ("1600" if a.quick else "1600,20000")],
        parse_export_bench, _bench_env),
    "run_load": Bench(
        "bench.load.run_load",
        lambda a: (["--users", "20", "--spawn-rate", "10", "--duration", "25"] if a.quick
                   else ["--users", "40", "--spawn-rate", "10", "--duration", "60"])
        + ["--database-url", a.database_url, "--redis-url", a.redis_url, "--out", str(a.run_dir)],
        parse_run_load, lambda a: {}),
}


def python_of(checkout: Path) -> str:
    venv = checkout / ".venv/bin/python"
    return str(venv) if venv.exists() else sys.executable


def clean_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "RUECKLAUF_"))}
    for key in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CACHE_URL", "VIRTUAL_ENV", "PYTHONPATH"):
        env.pop(key, None)
    env.update(extra)
    return env


def run_once(bench: Bench, checkout: Path, args: argparse.Namespace, label: str) -> tuple[Figures, float]:
    args.run_dir = args.out / label
    cmd = [python_of(checkout), "-m", bench.module, *bench.args(args)]
    started = time.monotonic()
    done = subprocess.run(cmd, cwd=checkout, env=clean_env(bench.env(args)), capture_output=True, text=True,
                          timeout=3600, check=False)
    seconds = time.monotonic() - started
    log = args.out / f"{label}.log"
    log.write_text(f"$ cd {checkout} && {' '.join(cmd)}\n# exit {done.returncode}, {seconds:.0f} s\n"
                   f"{done.stdout}\n--- stderr\n{done.stderr}")
    figures = bench.parse(done.stdout)
    if not figures:
        raise SystemExit(f"{label}: no figures in the output (exit {done.returncode}); see {log}")
    return figures, seconds


def is_floor(figure: str) -> bool:
    """A benchmark's own floor (page_saves' minimal view, export_bench's bare query and bare write)."""
    return " floor @" in figure or " floor bare " in figure


def higher_is_better(figure: str) -> bool:
    return figure.endswith(("/s", ", share"))


def table(before: dict[str, list[float]], after: dict[str, list[float]], limit: float) -> tuple[list[str], bool]:
    lines = [f"{'figure':<44} {'before':>10} {'after':>10} {'after/before':>12} {'cost':>6}  ≤ {limit:.2f}"]
    ok = True
    for figure in before:
        if figure not in after:
            lines.append(f"{figure:<44} {statistics.median(before[figure]):>10.3f} {'—':>10}")
            continue
        b, a = statistics.median(before[figure]), statistics.median(after[figure])
        ratio = a / b if b else (1.0 if a == b else float("inf"))
        cost = (1 / ratio if ratio else float("inf")) if higher_is_better(figure) else ratio
        if figure.endswith("errors"):
            verdict = "yes" if a <= b else "NO"
        elif is_floor(figure):
            verdict = "(floor)"
        else:
            verdict = "yes" if cost <= limit else "NO"
        ok &= verdict != "NO"
        lines.append(f"{figure:<44} {b:>10.3f} {a:>10.3f} {ratio:>12.3f} {cost:>6.3f}  {verdict}")
    return lines, ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old", type=Path, help="the old checkout (before); after is this checkout")
    parser.add_argument("--rounds", type=int, default=0, help="runs per side and benchmark (default 2, --quick 1)")
    parser.add_argument("--quick", action="store_true", help="short runs (~5 minutes instead of ~20)")
    parser.add_argument("--only", default=",".join(BENCHES), help="comma-separated subset of " + ", ".join(BENCHES))
    parser.add_argument("--export-sizes", default="", help="export_bench --sizes (default 1600,20000; quick 1600)")
    parser.add_argument("--limit", type=float, default=1.15, help="largest acceptable cost (1.15)")
    parser.add_argument("--database-url", default=os.getenv("BENCH_DATABASE_URL",
                                                            "postgres://postgres@127.0.0.1:5432/bench_before_after"))
    parser.add_argument("--redis-url", default=os.getenv("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6"))
    parser.add_argument("--out", type=Path, default=None, help="logs of every run (default /tmp/before-after-<time>)")
    args = parser.parse_args(argv)
    args.rounds = args.rounds or (1 if args.quick else 2)
    args.out = args.out or Path(f"/tmp/before-after-{time.strftime('%Y%m%d-%H%M%S')}")
    args.out.mkdir(parents=True, exist_ok=True)
    old, new = args.old.resolve(), ROOT
    if not (old / "manage.py").exists():
        parser.error(f"{old} is not a checkout of this project")
    sides = {"before": old, "after": new}
    print(f"before = {old} ({_commit(old)})\nafter  = {new} ({_commit(new)})\n"
          f"{args.rounds} round(s) per benchmark{' (quick)' if args.quick else ''}; logs in {args.out}", flush=True)
    figures: dict[str, dict[str, list[float]]] = {"before": {}, "after": {}}
    load_stats: dict[str, list[RequestStats]] = {"before": [], "after": []}
    started = time.monotonic()
    for name in args.only.split(","):
        bench = BENCHES[name]
        for round_number in range(args.rounds):
            order = ("before", "after") if round_number % 2 == 0 else ("after", "before")
            for side in order:
                got, seconds = run_once(bench, sides[side], args, f"{name}-{round_number + 1}-{side}")
                for figure, value in got.items():
                    figures[side].setdefault(figure, []).append(value)
                if name == "run_load":
                    load_stats[side].append(read_locust_stats(args.run_dir))
                print(f"  {name} round {round_number + 1} {side}: {seconds:.0f} s", flush=True)
    for figure, (b, a) in common_request_figures(load_stats["before"], load_stats["after"]).items():
        figures["before"][figure], figures["after"][figure] = b, a
    lines, ok = table(figures["before"], figures["after"], args.limit)
    print(f"\nmedian of {args.rounds} round(s); cost = after/before (rates: before/after), above 1 is worse; "
          f"{time.monotonic() - started:.0f} s in all")
    print("\n".join(lines))
    print("\nall figures within the limit" if ok else "\nSOME FIGURES ARE OVER THE LIMIT")
    return 0 if ok else 1


def _commit(checkout: Path) -> str:
    done = subprocess.run(["git", "-C", str(checkout), "log", "-1", "--format=%h %s"], capture_output=True,
                          text=True, check=False)
    return done.stdout.strip()[:70] or "?"


if __name__ == "__main__":
    sys.exit(main())
