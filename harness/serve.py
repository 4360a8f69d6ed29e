"""Process plumbing for tests and benchmarks: a free port, a fresh PostgreSQL database, manage.py,
gunicorn and Celery on 127.0.0.1."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _admin_url(database_url: str) -> tuple[str, str]:
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    return urlunsplit(parts._replace(path="/postgres")), name


def recreate_database(database_url: str) -> None:
    admin, name = _admin_url(database_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(database_url: str) -> None:
    admin, name = _admin_url(database_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(env: dict[str, str], *args: str, root: Path = ROOT) -> str:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=root, env=env, capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def run_module(env: dict[str, str], module: str, *args: str) -> str:
    result = subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode:
        raise RuntimeError(f"{module} failed:\n{result.stderr}")
    return result.stdout


def stop_group(proc: subprocess.Popen, kill: bool = False, timeout: float = 20) -> None:
    """Stop a process started with start_new_session=True and everything it started."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGKILL if kill else signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def start_celery(env: dict[str, str], log: Path, concurrency: int = 2) -> subprocess.Popen:
    """A Celery worker in its own process group, logging to `log`; stop it with stop_group."""
    with open(log, "ab") as out:
        return subprocess.Popen(
            [str(VENV_BIN / "celery"), "-A", "config", "worker", "--loglevel=INFO", f"--concurrency={concurrency}",
             "--without-gossip", "--without-mingle"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def django_snippet(env: dict[str, str], code: str, timeout: float = 120) -> str:
    """Run Python with Django set up (settings from `env`); returns its stdout."""
    done = subprocess.run([sys.executable, "-c", "import django; django.setup()\n" + code], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)
    if done.returncode:
        raise RuntimeError(done.stderr[-3000:])
    return done.stdout.strip()


def django_here(database_url: str) -> None:
    """Set up Django in this process (once, against `database_url` unless it is set up already, as
    under pytest), so that a driver's read-back SQL takes table and column names from the models."""
    import django
    from django.apps import apps

    if apps.ready:
        return
    saved = dict(os.environ)  # settings read the environment once, here; processes started later get it back
    try:
        os.environ.update(DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="config.settings")
        os.environ.setdefault("SECRET_KEY", "bench-read-back-" + "x" * 40)
        for key in ("REDIS_URL", "CELERY_BROKER_URL", "CACHE_URL"):  # read-back only: no broker, no cache
            os.environ.pop(key, None)
        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))
        django.setup()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _wait_until_up(url: str, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).close()  # noqa: S310
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


@contextlib.contextmanager
def gunicorn(env: dict[str, str], worker_class: str, workers: int, threads: int, log: Path,
             root: Path = ROOT, extra: tuple[str, ...] = ()) -> Iterator[str]:
    """Serve config.wsgi of the checkout `root` on a free port of 127.0.0.1; yields the base URL."""
    port = free_port()
    cmd = [str(VENV_BIN / "gunicorn"), "config.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(workers),
           "-k", worker_class, "--backlog", "2048", "--timeout", "60", "--graceful-timeout", "5", *extra]
    if worker_class == "gthread":
        cmd += ["--threads", str(threads)]
    with open(log, "ab") as out:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url + "/static/css/app.css", proc)
        yield url
    finally:
        stop_group(proc, timeout=15)
