"""Page saves per second and latency of the respondent path, next to a minimal Django "floor".

    .venv/bin/python -m bench.page_saves [--duration 20] [--worker-class sync|gthread|both]

Creates a fresh PostgreSQL database (`bench_pages` on the local server; BENCH_DATABASE_URL),
migrates it, loads the KGSt survey and seeds invitations, then serves the app with gunicorn
(2 workers, DEBUG off, collected static files, Redis cache) on 127.0.0.1 and drives it with
16 and 64 concurrent respondents (threads). One "page save" = POST a page with valid answers
(aktion=weiter, current _version, CSRF token) + GET the page it redirects to. The floor is a
minimal view (bench/floor_urls.py) doing the same kind of write — validate a ten-field form,
replace ten answer rows in one transaction — served by the same gunicorn configuration.
Drops the database at the end (unless --keep).
"""

from __future__ import annotations

import abc
import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from harness.answers import FLOOR_FIELDS, PAGES, ROWS_PER_SAVE, answers_for
from harness.client import CSRF_RE, VERSION_RE, Client, form_value
from harness.serve import drop_database, gunicorn, manage, recreate_database, run_module

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/bench_pages"
DEFAULT_REDIS = "redis://127.0.0.1:6379/6"
CONCURRENCY = (16, 64)


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    extra_requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, started: float, ended: float, window: tuple[float, float], error: str | None) -> None:
        if not window[0] <= ended <= window[1]:  # count what completes inside the measured window
            return
        with self.lock:
            if error:
                self.errors.append(error)
            else:
                self.latencies.append(ended - started)


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))]


# ---------------------------------------------------------------- respondents


class MeasuredClient(abc.ABC):
    """Times save() back to back until the window ends; after() may reset the client."""

    @abc.abstractmethod
    def save(self) -> str | None:
        """One measured operation; an error text or None."""

    def after(self, stats: Stats, error: str | None) -> None:
        pass

    def run(self, stats: Stats, window: tuple[float, float]) -> None:
        while time.perf_counter() < window[1]:
            started = time.perf_counter()
            try:
                error = self.save()
            except Exception as exc:  # noqa: BLE001
                error = f"{type(exc).__name__}: {exc}"
            stats.add(started, time.perf_counter(), window, error)
            self.after(stats, error)


class Respondent(MeasuredClient):
    """Walks P1..P8 again and again through one personal link, as fast as the server lets it."""

    def __init__(self, base: str, token: str) -> None:
        parts = urlsplit(base)
        self.client = Client(parts.hostname, parts.port)
        self.token = token
        self.index = 0
        self.walk = int.from_bytes(token[:4].encode(), "big")  # start at different values per client
        self.version = self.csrf = ""

    def path(self, code: str) -> str:
        return f"/s/{self.token}/seite/{code}/"

    def load(self, path: str) -> str | None:
        reply = self.client.request("GET", path)
        if reply.status != 200:
            return f"GET {path.replace(self.token, '<token>')} → {reply.status}"
        self.version = form_value(VERSION_RE, reply.body) or ""
        self.csrf = form_value(CSRF_RE, reply.body) or self.csrf
        return None

    def start(self) -> None:
        self.index = 0
        self.walk += 1
        error = self.load(self.path(PAGES[0][0]))
        if error:
            raise RuntimeError(error)

    def save(self) -> str | None:
        """POST the current page, GET where it leads; returns an error text or None."""
        code = PAGES[self.index][0]
        fields = answers_for(self.index, self.walk)
        hidden = [("_version", self.version), ("csrfmiddlewaretoken", self.csrf), ("aktion", "weiter")]
        body = urlencode(fields + hidden)
        reply = self.client.request("POST", self.path(code), body)
        last = self.index == len(PAGES) - 1
        expected = f"/s/{self.token}/pruefen/" if last else self.path(PAGES[self.index + 1][0])
        if reply.status != 302 or not reply.location.endswith(expected):
            hint = "conflict or validation error" if reply.status == 200 else repr(reply.body[:80])
            return f"POST {code} → {reply.status} {reply.location.replace(self.token, '<token>')} {hint}"
        if last:
            reply = self.client.request("GET", expected)
            self.index = len(PAGES)  # walk done: start again at P1
            return None if reply.status == 200 else f"GET review → {reply.status}"
        self.index += 1
        return self.load(expected)

    def after(self, stats: Stats, error: str | None) -> None:
        if error or self.index >= len(PAGES):
            try:
                self.start()  # back to P1: one extra GET, not counted as a page save
                with stats.lock:
                    stats.extra_requests += 1
            except Exception:  # noqa: BLE001
                time.sleep(0.05)


class FloorClient(MeasuredClient):
    def __init__(self, base: str, response_id: int, question_id: int) -> None:
        parts = urlsplit(base)
        self.client = Client(parts.hostname, parts.port)
        self.path = f"/bench/floor/{response_id}/{question_id}/"
        self.csrf = ""

    def start(self) -> None:
        reply = self.client.request("GET", self.path)
        if reply.status != 200:
            raise RuntimeError(f"floor GET → {reply.status}")
        self.csrf = reply.body.decode()

    def save(self) -> str | None:
        body = urlencode([*FLOOR_FIELDS, ("csrfmiddlewaretoken", self.csrf)])
        reply = self.client.request("POST", self.path, body)
        return None if reply.status == 200 else f"floor POST → {reply.status} {reply.body[:80]!r}"



# ---------------------------------------------------------------- phases


@dataclass
class Result:
    name: str
    concurrency: int
    seconds: float
    stats: Stats
    client_cpu: float

    @property
    def rps(self) -> float:
        return len(self.stats.latencies) / self.seconds

    def ms(self, pct: float) -> float:
        return percentile(self.stats.latencies, pct) * 1000

    def line(self) -> str:
        lat = self.stats.latencies
        median = statistics.median(lat) * 1000 if lat else float("nan")
        return (f"{self.name:<11} {self.concurrency:>4} {len(lat):>7} {self.rps:>8.1f} {median:>8.1f} "
                f"{self.ms(95):>8.1f} {self.ms(99):>8.1f} {len(self.stats.errors):>6} {self.client_cpu:>9.0%}")


HEADER = (f"{'phase':<11} {'conc':>4} {'ops':>7} {'ops/s':>8} {'med ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
          f"{'errors':>6} {'clientCPU':>9}")


def run_slice(clients: list, stats: Stats, duration: float, warmup: float) -> float:
    """Drive the clients for warmup + duration seconds; returns the client process's CPU seconds."""
    for client in clients:
        client.start()
    now = time.perf_counter()
    window = (now + warmup, now + warmup + duration)
    cpu0 = time.process_time()
    threads = [threading.Thread(target=c.run, args=(stats, window), daemon=True) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=warmup + duration + 60)
    for client in clients:
        client.client.close()
    return time.process_time() - cpu0


def server_env(database_url: str, redis_url: str, static_root: str, settings_module: str) -> dict[str, str]:
    env = dict(os.environ)
    for key in ("RUECKLAUF_TESTING", "CELERY_BROKER_URL", "CACHE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(key, None)
    env.update(
        DJANGO_SETTINGS_MODULE=settings_module, DATABASE_URL=database_url, REDIS_URL=redis_url,
        DEBUG="0", SECRET_KEY="bench-secret-key-" + "x" * 40, SECURE_HTTPS="0", ALLOWED_HOSTS="127.0.0.1",
        STATIC_ROOT=static_root, LOG_LEVEL="WARNING", PYTHONDONTWRITEBYTECODE="1",
        # page saves send no mail and queue no task: no SMTP server, no worker (config/checks.py)
        SILENCED_SYSTEM_CHECKS="ruecklauf.E004", EXPECT_WORKERS="0",
    )
    return env


def measure(worker_class: str, args, seed: dict, env_app: dict, env_floor: dict, log: Path) -> list[Result]:
    """Floor and page saves alternate in `rounds` slices per concurrency, so background load on the
    machine hits both alike; both servers stay up (the idle one uses no CPU)."""
    results = []
    with (gunicorn(env_floor, worker_class, args.workers, args.threads, log) as floor_base,
          gunicorn(env_app, worker_class, args.workers, args.threads, log) as app_base):
        for concurrency in CONCURRENCY:
            def floor_clients(n: int = concurrency) -> list:
                return [FloorClient(floor_base, rid, qid) for rid, qid in seed["floor"][:n]]

            def respondents(n: int = concurrency) -> list:
                return [Respondent(app_base, token) for token in seed["tokens"][:n]]

            phases = [("floor", floor_clients)] if "floor" in args.phases else []
            phases += [("page saves", respondents)] if "pages" in args.phases else []
            slice_seconds = args.duration / args.rounds
            for name, _make in phases:
                results.append(Result(name, concurrency, args.duration, Stats(), 0.0))
            for round_number in range(args.rounds):
                warmup = args.warmup if round_number == 0 else min(1.0, args.warmup)
                for (_name, make), result in zip(phases, results[-len(phases):], strict=True):
                    cpu = run_slice(make(), result.stats, slice_seconds, warmup)
                    result.client_cpu += cpu / (args.duration + args.rounds * warmup)
    return results


def report(worker_class: str, args, results: list[Result]) -> bool:
    print(f"\n== gunicorn -w {args.workers} -k {worker_class}"
          + (f" --threads {args.threads}" if worker_class == "gthread" else "")
          + f"; {args.duration:.0f} s per phase in {args.rounds} alternating slices, after warm-up")
    print(HEADER)
    for result in results:
        print(result.line())
    ok = True
    if args.phases != ["floor", "pages"]:
        return ok
    by = {(r.name, r.concurrency): r for r in results}
    for concurrency in CONCURRENCY:
        floor, pages = by[("floor", concurrency)], by[("page saves", concurrency)]
        ratio = pages.rps / floor.rps if floor.rps else float("nan")
        if concurrency == 16:
            passed = ratio >= 0.35 and pages.ms(95) <= 100 and not pages.stats.errors
            target = "target ≥ 35 % of floor, p95 ≤ 100 ms"
        else:
            passed = not pages.stats.errors and pages.ms(99) <= 500
            target = "target no errors, p99 ≤ 500 ms"
        ok &= passed
        print(f"at {concurrency:>2} concurrent: page saves/s ÷ floor/s = {pages.rps:.1f} / {floor.rps:.1f} = "
              f"{ratio:.0%}; p95 {pages.ms(95):.0f} ms, p99 {pages.ms(99):.0f} ms, "
              f"{len(pages.stats.errors)} errors ({target}): {'PASS' if passed else 'FAIL'}")
    for result in results:
        if result.stats.errors:
            distinct = sorted(set(result.stats.errors))
            print(f"  {result.name}@{result.concurrency} errors ({len(result.stats.errors)}), e.g.: {distinct[:3]}")
    pages_extra = sum(r.stats.extra_requests for r in results if r.name == "page saves")
    print(f"  (page saves write ~{ROWS_PER_SAVE:.1f} answer rows each, the floor 10; "
          f"{pages_extra} uncounted GETs of P1 after a finished walk)")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds per phase")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds before a phase's first slice")
    parser.add_argument("--rounds", type=int, default=4, help="floor and page-save slices alternate this often")
    parser.add_argument("--worker-class", choices=["sync", "gthread", "both"], default="sync",
                        help="sync is what the Docker image runs (default); gthread for comparison")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="threads per worker for gthread")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--phases", type=lambda v: v.split(","), default=["floor", "pages"],
                        help="floor,pages (default) or one of them")
    args = parser.parse_args(argv)

    database_url = os.getenv("BENCH_DATABASE_URL", DEFAULT_DB)
    redis_url = os.getenv("BENCH_REDIS_URL", DEFAULT_REDIS)
    classes = ["sync", "gthread"] if args.worker_class == "both" else [args.worker_class]
    print(f"machine: {os.cpu_count()} CPUs; database {urlsplit(database_url).path.lstrip('/')}; "
          f"Python {sys.version.split()[0]}", flush=True)
    recreate_database(database_url)
    outcome = True
    try:
        with tempfile.TemporaryDirectory(prefix="bench-static-") as static_root:
            env_app = server_env(database_url, redis_url, static_root, "config.settings")
            env_floor = server_env(database_url, redis_url, static_root, "bench.floor_settings")
            manage(env_app, "migrate", "--noinput")
            manage(env_app, "collectstatic", "--noinput")
            manage(env_app, "load_survey", "surveys/definitions/kgst-social-media-2013.yaml")
            seed = json.loads(run_module(env_app, "bench.seed", str(max(CONCURRENCY))))
            log = Path(static_root) / "gunicorn.log"
            for worker_class in classes:
                results = measure(worker_class, args, seed, env_app, env_floor, log)
                outcome &= report(worker_class, args, results)
            errors = [line for line in log.read_text(errors="replace").splitlines() if "Traceback" in line
                      or "[ERROR]" in line or "[CRITICAL]" in line]
            if errors:
                print(f"gunicorn log: {len(errors)} error lines, first: {errors[:3]}")
    finally:
        if not args.keep:
            drop_database(database_url)
    return 0 if outcome else 1


if __name__ == "__main__":
    sys.exit(main())
