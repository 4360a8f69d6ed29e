"""Serve the app with a real gunicorn process against the test database, for browser tests."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from harness.serve import free_port
from tests.worker import worker_env

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"


@dataclass
class LiveServer:
    url: str
    port: int
    process: subprocess.Popen
    log: Path

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def server_env(port: int) -> dict[str, str]:
    """Production-like settings (DEBUG off) on plain http, pointed at the test database."""
    site = f"http://127.0.0.1:{port}"
    env = worker_env(
        {
            "DEBUG": "0",
            "RUECKLAUF_TESTING": "1",
            "SECRET_KEY": "e2e-test-secret-key-not-for-production-0123456789",
            "SECURE_HTTPS": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SITE_URL": site,
            "CSRF_TRUSTED_ORIGINS": site,
            "LOG_LEVEL": "WARNING",
        }
    )
    # Playwright's sync API needs it in the test process; a server with it fails the deployment
    # checks that gunicorn.conf.py runs at start (async.E001).
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


def _wait_until_up(url: str, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode} before serving")
        try:
            urllib.request.urlopen(url + "/static/css/app.css", timeout=2).close()  # noqa: S310
            return
        except urllib.error.HTTPError:
            return  # any HTTP answer means the server is up
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not start within {timeout:.0f} s")


@contextlib.contextmanager
def gunicorn_server(log: Path, workers: int = 2, env: dict[str, str] | None = None) -> Iterator[LiveServer]:
    """gunicorn on a free port with server_env, plus `env` (settings a test needs switched)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [str(GUNICORN), "config.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(workers),
             "--graceful-timeout", "5", "--timeout", "60", "--access-logfile", "-"],
            cwd=ROOT, env={**server_env(port), **(env or {})}, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = LiveServer(url=url, port=port, process=proc, log=log)
    try:
        _wait_until_up(url, proc)
        yield server
    finally:
        stop(proc)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    os.killpg(os.getpgid(proc.pid), signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(os.getpgid(proc.pid), signal.SIGKILL)
        proc.wait(timeout=5)
