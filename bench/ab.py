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
shared machine hits both alike. Prints median, mean and p90 per side, the gunicorn worker's CPU
time per op (the server's own work without the waits for PostgreSQL and Redis, and much less
disturbed by other load on the machine than wall time) and the ratios B ÷ A.
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

from harness.serve import ROOT, drop_database, gunicorn, manage, recreate_database, run_module

from .page_saves import DEFAULT_REDIS, Respondent, Stats, percentile, run_slice, server_env

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/bench_ab"


def _line(name: str, stats: Stats, cpu: float) -> str:
    lat = [x * 1000 for x in stats.latencies]
    return (f"{name:<3} {len(lat):>6} {statistics.median(lat):>8.2f} {statistics.fmean(lat):>8.2f} "
            f"{percentile(lat, 90):>8.2f} {cpu * 1000 / len(lat):>8.2f} {len(stats.errors):>6}")


def worker_cpu(pidfile: Path) -> float:
    """User + system CPU seconds of the gunicorn master's worker processes so far."""
    master = pidfile.read_text().strip()
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    ticks = 0
    for pid in children:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


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
            stats, cpu = (Stats(), Stats()), [0.0, 0.0]
            pidfiles = (Path(tmp) / "a.pid", Path(tmp) / "b.pid")
            with (gunicorn(envs[0][0], "sync", 1, 1, log, root=envs[0][1], extra=("-p", str(pidfiles[0]))) as url_a,
                  gunicorn(envs[1][0], "sync", 1, 1, log, root=envs[1][1], extra=("-p", str(pidfiles[1]))) as url_b):
                for _round in range(args.rounds):
                    for side, (url, token) in enumerate(zip((url_a, url_b), tokens, strict=True)):
                        client = Respondent(url, token)
                        run_slice([client], Stats(), args.warmup, 0)  # unmeasured warm-up
                        before = worker_cpu(pidfiles[side])
                        run_slice([client], stats[side], args.duration / args.rounds, 0)
                        cpu[side] += worker_cpu(pidfiles[side]) - before
            print(f"\n{'':<3} {'ops':>6} {'median':>8} {'mean':>8} {'p90':>8} {'cpu/op':>8} {'errors':>6}"
                  "   (ms per page save)")
            print(_line("A", stats[0], cpu[0]))
            print(_line("B", stats[1], cpu[1]))
            median_a, median_b = (statistics.median(s.latencies) for s in stats)
            mean_a, mean_b = (statistics.fmean(s.latencies) for s in stats)
            cpu_a, cpu_b = (c / len(s.latencies) for c, s in zip(cpu, stats, strict=True))
            print(f"B ÷ A: median {median_b / median_a:.3f}, mean {mean_b / mean_a:.3f}, "
                  f"worker CPU per op {cpu_b / cpu_a:.3f}")
            errors = [line for line in log.read_text(errors="replace").splitlines() if "Traceback" in line]
            if errors or any(s.errors for s in stats):
                print(f"errors: {[s.errors[:2] for s in stats]} {errors[:2]}")
                return 1
    finally:
        drop_database(database_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
