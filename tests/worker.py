"""Start a real Celery worker process for tests whose behaviour depends on one.

Use with `transactional_db` (the worker is another process and sees only committed
rows). The worker connects to the test database and to the broker of the test run.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import redis
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def run_database_url() -> str:
    """postgres:// URL of the database this test run uses (the test database, not DATABASE_URL's);
    a socket folder as host (the embedded server) goes percent-encoded into the host part."""
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    host = quote(db["HOST"] or "127.0.0.1", safe="")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{db['USER'] or 'postgres'}{password}@{host}{port}/{db['NAME']}"


def worker_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=run_database_url(),
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        RUECKLAUF_TESTING="1",
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        SITE_URL=settings.SITE_URL,
        # the key of the personal links: links made in the test process must open in the server/worker
        TOKEN_SECRET=settings.TOKEN_SECRET,
        EMAIL_HOST=settings.EMAIL_HOST or "",
        EMAIL_PORT=str(settings.EMAIL_PORT),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra or {})
    return env


def purge_broker() -> None:
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()


@contextlib.contextmanager
def celery_worker(
    concurrency: int = 2, extra_env: dict[str, str] | None = None, purge: bool = True, log: Path | None = None
) -> Iterator[subprocess.Popen]:
    """A worker (prefork) that is stopped (SIGTERM, then SIGKILL) when the block ends."""
    if purge:
        purge_broker()
    proc = start_worker(concurrency, extra_env, log)
    try:
        yield proc
    finally:
        stop_worker(proc)


def start_worker(concurrency: int = 2, extra_env: dict[str, str] | None = None, log: Path | None = None):
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO",
         f"--concurrency={concurrency}", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=worker_env(extra_env), stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
    )
    time.sleep(0.5)
    return proc


@contextlib.contextmanager
def celery_beat(schedule_dir: Path, extra_env: dict[str, str] | None = None,
                log: Path | None = None) -> Iterator[subprocess.Popen]:
    """`celery beat` with the test's settings, stopped (like a worker) when the block ends.

    Its schedule file (when each entry last ran) goes to `schedule_dir`: beat's default is
    ./celerybeat-schedule in the working tree, which would carry "last run" times into the next test.
    Intervals come from the environment (e.g. REMINDER_PLAN_SECONDS, BOUNCE_CHECK_SECONDS in extra_env).
    """
    with open(log, "ab") if log else contextlib.nullcontext(subprocess.DEVNULL) as out:  # beat keeps its own copy
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO",
             "--schedule", str(schedule_dir / "celerybeat-schedule")],
            cwd=ROOT, env=worker_env(extra_env), stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        yield proc
    finally:
        stop_worker(proc)


def stop_worker(proc: subprocess.Popen, kill: bool = False) -> None:
    """Stop the worker and its pool children; kill=True is a SIGKILL of the whole group."""
    if proc.poll() is not None:
        return
    pgid = os.getpgid(proc.pid)
    os.killpg(pgid, signal.SIGKILL if kill else signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(pgid, signal.SIGKILL)
        proc.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def wait_for(predicate, timeout: float = 60.0, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
