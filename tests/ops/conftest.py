"""Helpers for the operations tests: free ports and a real gunicorn serving the app."""

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from bench.serve import free_port

ROOT = Path(__file__).resolve().parents[2]


def get(url: str, timeout: float = 10.0) -> tuple[int, bytes, dict[str, str]]:
    """GET without raising on 4xx/5xx: (status, body, headers)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read(), dict(resp.headers)
    except urllib.error.HTTPError as err:
        return err.code, err.read(), dict(err.headers)


@contextlib.contextmanager
def gunicorn(env: dict[str, str]) -> Iterator[str]:
    """Serve config.wsgi with gunicorn (production settings unless env says otherwise); yields the base URL."""
    port = free_port()
    full_env = {key: value for key, value in os.environ.items() if key != "RUECKLAUF_TESTING"}
    full_env.update({"SECRET_KEY": "ops-test-secret-key-" + "x" * 40, "DEBUG": "0",
                     "ALLOWED_HOSTS": "127.0.0.1", "PYTHONUNBUFFERED": "1"})
    full_env.update(env)
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--timeout", "30"],
        cwd=ROOT, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError("gunicorn exited: " + proc.stdout.read().decode(errors="replace"))
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def db_url_of_test_run() -> str:
    """postgres:// URL of the database this test run uses (the test database, not DATABASE_URL's)."""
    from django.db import connection

    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (f"postgres://{db['USER'] or 'postgres'}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
            f"/{db['NAME']}")
