"""A/B: the time of one page save in this checkout and in another one, measured in one run.

    .venv/bin/python -m bench.ab OTHER_CHECKOUT [--duration 20] [--rounds 10]

Decides whether a piece of speed machinery earns its place: check out the commit before (or
after) its removal beside this one (`git worktree add /tmp/ab HEAD~1`) and compare. Both
checkouts are served by their own gunicorn (`-w 1 -k sync`, DEBUG off, collected static files,
Redis cache) against one fresh database (`bench_ab`; BENCH_DATABASE_URL) seeded from this
checkout, so both must have the same migrations. One client per side walks P1..P8 of the KGSt
questionnaire as in bench/page_saves.py (one op = POST a page + GET the page it leads to), one
request at a time: with nothing queued, the time per op is the server's time for a page save
plus a loopback round trip. The sides alternate in `--rounds` slices, so background load on a
shared machine hits both alike. Prints median, mean and p90 per side and the ratio B ÷ A.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from .page_saves import DEFAULT_REDIS, Respondent, Stats, percentile, run_slice, server_env
from .serve import ROOT, drop_database, gunicorn, manage, recreate_database, run_module

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/bench_ab"


def _line(name: str, stats: Stats) -> str:
    lat = [x * 1000 for x in stats.latencies]
    return (f"{name:<3} {len(lat):>6} {statistics.median(lat):>8.2f} {statistics.fmean(lat):>8.2f} "
            f"{percentile(lat, 90):>8.2f} {len(stats.errors):>6}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("other", type=Path, help="the other checkout (B); A is this one")
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds per side")
    parser.add_argument("--rounds", type=int, default=10, help="the sides alternate this often")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds before each slice")
    args = parser.parse_args(argv)
    other = args.other.resolve()
    database_url = os.getenv("BENCH_DATABASE_URL", DEFAULT_DB)
    redis_url = os.getenv("BENCH_REDIS_URL", DEFAULT_REDIS)
    print(f"A = {ROOT}\nB = {other}\n{os.cpu_count()} CPUs; database {urlsplit(database_url).path.lstrip('/')}",
          flush=True)
    recreate_database(database_url)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-ab-") as tmp:
            envs = []
            for side, root in (("a", ROOT), ("b", other)):
                env = server_env(database_url, redis_url, f"{tmp}/static-{side}", "config.settings")
                manage(env, "collectstatic", "--noinput", root=root)
                envs.append((env, root))
            manage(envs[0][0], "migrate", "--noinput")
            manage(envs[0][0], "load_survey", "surveys/definitions/kgst-social-media-2013.yaml")
            tokens = json.loads(run_module(envs[0][0], "bench.seed", "2"))["tokens"]
            log = Path(tmp) / "gunicorn.log"
            stats = (Stats(), Stats())
            with (gunicorn(envs[0][0], "sync", 1, 1, log, root=envs[0][1]) as base_a,
                  gunicorn(envs[1][0], "sync", 1, 1, log, root=envs[1][1]) as base_b):
                for _round in range(args.rounds):
                    for base, token, side_stats in zip((base_a, base_b), tokens, stats, strict=True):
                        run_slice([Respondent(base, token)], side_stats, args.duration / args.rounds, args.warmup)
            print(f"\n{'':<3} {'ops':>6} {'median':>8} {'mean':>8} {'p90':>8} {'errors':>6}   (ms per page save)")
            print(_line("A", stats[0]))
            print(_line("B", stats[1]))
            median_a, median_b = (statistics.median(s.latencies) for s in stats)
            mean_a, mean_b = (statistics.fmean(s.latencies) for s in stats)
            print(f"B ÷ A: median {median_b / median_a:.3f}, mean {mean_b / mean_a:.3f}")
            errors = [line for line in log.read_text(errors="replace").splitlines() if "Traceback" in line]
            if errors or any(s.errors for s in stats):
                print(f"errors: {[s.errors[:2] for s in stats]} {errors[:2]}")
                return 1
    finally:
        drop_database(database_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
