"""Load test of the respondent path against the production setup, then an export check.

    .venv/bin/python -m bench.load.run_load --users 200 --spawn-rate 10 --duration 300   # the full run
    .venv/bin/python -m bench.load.run_load --users 30 --duration 60                     # a smoke run

1. Drops and creates the database `rl_load` (--database-url), migrates, collects static files,
   loads the KGSt questionnaire, opens it and seeds members with distinct AGS and one invitation
   each (bench/load/seed_load.py; enough for every simulated respondent to use a link of its own).
2. Starts the production setup on 127.0.0.1: gunicorn (config.wsgi, --worker-class/--workers/
   --threads), a Celery worker on Redis (--redis-url), DEBUG=0, SECURE_HTTPS=0.
3. Runs locust headless (bench/load/locustfile.py): --users simulated respondents, ramped up at
   --spawn-rate per second, for --duration seconds. Halfway through, an Excel export job is queued
   for the Celery worker (an analyst downloading while respondents answer).
4. Builds the exports through the real code path (`manage.py export_results`, submitted only and
   with partial responses) and compares them with what every simulated respondent entered
   (bench/load/check_export.py).
5. Prints requests/s, latency (median, p95, p99), errors (locust's CSV statistics), the export job's
   outcome and the comparison; stops every process it started; drops the database (--keep keeps it).
Output files (locust CSV, logs, records, exports) stay in --out (default /tmp/rl_load-<time>).
Exit status 0 when there were no errors and the comparison matched.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import math
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from harness.serve import (
    ROOT,
    VENV_BIN,
    django_snippet,
    drop_database,
    gunicorn,
    manage,
    recreate_database,
    run_module,
    start_celery,
    stop_group,
)

SLUG = "kgst-social-media-2013"
DEFINITION = "surveys/definitions/kgst-social-media-2013.yaml"


def parse_args() -> argparse.Namespace:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=200, help="concurrent simulated respondents (200)")
    parser.add_argument("--spawn-rate", type=float, default=10, help="respondents started per second (10)")
    parser.add_argument("--duration", type=int, default=300, help="seconds of load, ramp-up included (300)")
    parser.add_argument("--invitations", type=int, default=0,
                        help="links in the pool (default: enough for every respondent: users × duration / 25 + users)")
    parser.add_argument("--worker-class", default="gthread", choices=["gthread", "sync"])
    parser.add_argument("--workers", type=int, default=2 * cores + 1, help=f"gunicorn processes ({2 * cores + 1})")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn process with gthread (4)")
    parser.add_argument("--celery-concurrency", type=int, default=2)
    parser.add_argument("--database-url", default=os.getenv("LOAD_DATABASE_URL",
                                                            "postgres://postgres@127.0.0.1:5432/rl_load"))
    parser.add_argument("--redis-url", default=os.getenv("LOAD_REDIS_URL", "redis://127.0.0.1:6379/9"))
    parser.add_argument("--out", default="", help="directory for results and logs (default /tmp/rl_load-<time>)")
    parser.add_argument("--seed", type=int, default=2013)
    parser.add_argument("--no-export-job", action="store_true", help="do not queue an export job mid-run")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    return parser.parse_args()


def server_env(args: argparse.Namespace, static_root: Path, media_root: Path) -> dict[str, str]:
    env = dict(os.environ)
    for key in ("RUECKLAUF_TESTING", "CACHE_URL", "EMAIL_HOST", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(key, None)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings", DATABASE_URL=args.database_url, REDIS_URL=args.redis_url,
        CELERY_BROKER_URL=args.redis_url,
        DEBUG="0", SECURE_HTTPS="0", SECRET_KEY="load-test-secret-" + "k" * 40, ALLOWED_HOSTS="127.0.0.1",
        STATIC_ROOT=str(static_root), MEDIA_ROOT=str(media_root), LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1",
        PYTHONDONTWRITEBYTECODE="1",
        SILENCED_SYSTEM_CHECKS="ruecklauf.E004",  # mails go to the log on purpose (config/checks.py)
        # Keep idle connections longer than a respondent's pause (gunicorn's default is 2 s), as a
        # reverse proxy in front of it would; otherwise a POST after a pause can meet a connection
        # the server has just closed, which browsers retry but the load generator counts as an error.
        GUNICORN_CMD_ARGS="--keep-alive 75",
    )
    return env


@contextlib.contextmanager
def celery_worker(env: dict[str, str], concurrency: int, log: Path) -> Iterator[subprocess.Popen]:
    proc = start_celery(env, log, concurrency)
    try:
        yield proc
    finally:
        stop_group(proc)


QUEUE_EXPORT = f"""
from exports import tasks
from surveys.models import Survey
job = tasks.create_job(Survey.objects.get(slug={SLUG!r}), "xlsx", True, None)
print(job.pk)
"""

JOB_STATUS = """
import json
from exports.models import ExportJob
j = ExportJob.objects.get(pk={pk})
took = (j.finished_at - j.created_at).total_seconds() if j.finished_at else None
finished = j.status in (ExportJob.Status.DONE, ExportJob.Status.FAILED)
print(json.dumps({{"status": j.status, "finished": finished, "progress": j.progress, "seconds": took,
                  "size": j.size, "error": j.error[:200]}}))
"""


def queue_export_later(env: dict[str, str], delay: float, result: dict) -> threading.Thread:
    def run() -> None:
        time.sleep(delay)
        try:
            result["job"] = int(django_snippet(env, QUEUE_EXPORT))
            result["queued_at"] = time.monotonic()
        except Exception as exc:  # noqa: BLE001 - reported below
            result["error"] = str(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def export_job_report(env: dict[str, str], result: dict, wait: float = 120) -> str:
    if "job" not in result:
        return f"not queued ({result.get('error', 'load ended first')})"
    deadline = time.monotonic() + wait
    while True:
        status = json.loads(django_snippet(env, JOB_STATUS.format(pk=result["job"])))
        if status["finished"] or time.monotonic() > deadline:
            break
        time.sleep(2)
    seconds = f"{status['seconds']:.1f} s" if status["seconds"] is not None else "unfinished"
    return (f"job {result['job']} (xlsx with partial responses, queued mid-run): {status['status']}, {seconds}, "
            f"{status['size']:,} bytes {status['error']}").strip()


def run_locust(args: argparse.Namespace, url: str, out: Path, tokens: Path, records: Path) -> int:
    env = dict(os.environ, LOAD_TOKENS=str(tokens), LOAD_RECORDS=str(records), LOAD_SEED=str(args.seed))
    cmd = [str(VENV_BIN / "locust"), "-f", str(ROOT / "bench/load/locustfile.py"), "--headless",
           "--users", str(args.users), "--spawn-rate", str(args.spawn_rate), "--run-time", f"{args.duration}s",
           "--host", url, "--csv", str(out / "locust"), "--stop-timeout", "30", "--only-summary",
           "--loglevel", "WARNING", "--logfile", str(out / "locust.log"), "--exit-code-on-error", "0"]
    with open(out / "locust-summary.txt", "wb") as log:
        return subprocess.run(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                              timeout=args.duration + 180).returncode


def print_stats(out: Path) -> int:
    """Print locust's aggregated figures and the slowest request kinds; returns the error count."""
    with open(out / "locust_stats.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    errors = int(total["Failure Count"])
    print(f"requests: {total['Request Count']}, errors: {errors}, requests/s: {float(total['Requests/s']):.1f}")
    print(f"latency ms: median {total['Median Response Time']}, p95 {total['95%']}, p99 {total['99%']}, "
          f"max {float(total['Max Response Time']):.0f}")
    print(f"{'request':58} {'count':>6} {'fail':>5} {'med':>5} {'p95':>5} {'p99':>6}")
    for row in sorted((r for r in rows if r["Name"] != "Aggregated"), key=lambda r: -int(r["Request Count"])):
        print(f"{row['Name'][:58]:58} {row['Request Count']:>6} {row['Failure Count']:>5} "
              f"{float(row['Median Response Time']):>5.0f} {row['95%']:>5} {row['99%']:>6}")
    failures = out / "locust_failures.csv"
    if errors and failures.exists():
        print("errors by kind:")
        with open(failures, encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                print(f"  {row['Occurrences']:>5} × {row['Method']} {row['Name']}: {row['Error'][:150]}")
    return errors


def concurrency_reached(out: Path) -> str:
    history = out / "locust_stats_history.csv"
    if not history.exists():
        return "?"
    with open(history, encoding="utf-8") as handle:
        counts = [int(r["User Count"]) for r in csv.DictReader(handle) if r.get("User Count")]
    if not counts:
        return "?"
    peak = max(counts)
    return f"peak {peak} concurrent respondents, held for ≈{sum(1 for c in counts if c == peak)} s"


def main() -> int:
    args = parse_args()
    out = Path(args.out or f"/tmp/rl_load-{time.strftime('%Y%m%d-%H%M%S')}")
    out.mkdir(parents=True, exist_ok=True)
    static_root, media_root = out / "static", out / "media"
    env = server_env(args, static_root, media_root)
    pool = args.invitations or args.users * math.ceil(args.duration / 25) + args.users
    print(f"setup: database {args.database_url.rsplit('/', 1)[-1]}, Redis {args.redis_url}, {pool} invitations, "
          f"gunicorn {args.worker_class} × {args.workers} processes"
          + (f" × {args.threads} threads" if args.worker_class == "gthread" else "")
          + f", Celery worker concurrency {args.celery_concurrency}, {os.cpu_count()} cores; output in {out}",
          flush=True)
    started = time.monotonic()
    recreate_database(args.database_url)
    try:
        manage(env, "migrate", "--noinput")
        manage(env, "collectstatic", "--noinput")
        manage(env, "load_survey", DEFINITION)
        tokens, records = out / "tokens.json", out / "records.jsonl"
        records.unlink(missing_ok=True)
        run_module(env, "bench.load.seed_load", str(pool), str(tokens))
        print(f"database ready in {time.monotonic() - started:.0f} s; load for {args.duration} s "
              f"({args.users} respondents, +{args.spawn_rate}/s)", flush=True)
        job: dict = {}
        with gunicorn(env, args.worker_class, args.workers, args.threads, out / "gunicorn.log") as url, \
                celery_worker(env, args.celery_concurrency, out / "celery.log"):
            if not args.no_export_job:
                queue_export_later(env, args.duration / 2, job)
            code = run_locust(args, url, out, tokens, records)
            print(f"locust exited with {code}", flush=True)
            job_line = export_job_report(env, job) if not args.no_export_job else "skipped"
        print("\n== load ==")
        print(concurrency_reached(out))
        errors = print_stats(out)
        print(f"export job through the Celery worker: {job_line}")
        tracebacks = (out / "gunicorn.log").read_text(errors="replace").count("Traceback")
        print(f"tracebacks in the gunicorn log: {tracebacks}")
        print("\n== export check ==", flush=True)
        manage(env, "export_results", SLUG, "--out", str(out / "results.xlsx"))
        manage(env, "export_results", SLUG, "--out", str(out / "partial.xlsx"), "--include-partial")
        from bench.load.check_export import check

        matched = check(str(records), str(out / "results.xlsx"), str(out / "partial.xlsx"), args.database_url)
    finally:
        if not args.keep:
            drop_database(args.database_url)
    print(f"\ntotal time {time.monotonic() - started:.0f} s; files in {out}")
    return 0 if matched and errors == 0 and tracebacks == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
