"""Helpers for the operations tests: free ports and a real gunicorn serving the app."""

import atexit
import contextlib
import functools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from harness.serve import free_port
from tests.worker import run_database_url

ROOT = Path(__file__).resolve().parents[2]


def get(url: str, timeout: float = 10.0) -> tuple[int, bytes, dict[str, str]]:
    """GET without raising on 4xx/5xx: (status, body, headers)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read(), dict(resp.headers)
    except urllib.error.HTTPError as err:
        return err.code, err.read(), dict(err.headers)


@functools.cache
def collected_static() -> str:
    """STATIC_ROOT with `collectstatic` run once per test session (production starts refuse without it)."""
    root = tempfile.mkdtemp(prefix="ruecklauf-static-")
    env = {**{k: v for k, v in os.environ.items() if k not in NOT_FOR_SERVERS}, **PRODUCTION_ENV, "STATIC_ROOT": root}
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    atexit.register(shutil.rmtree, root, True)
    return root


# A complete production configuration (config/checks.py accepts it); tests override what they test.
PRODUCTION_ENV = {"SECRET_KEY": "ops-test-secret-key-" + "x" * 40, "DEBUG": "0", "ALLOWED_HOSTS": "127.0.0.1",
                  "SITE_URL": "https://umfrage.example.org", "EMAIL_HOST": "127.0.0.1", "PYTHONUNBUFFERED": "1"}


# Test-process switches a production server must not inherit (the e2e tests set the second one
# for Playwright; the start-up deployment checks refuse it, async.E001; the third marks a run of
# `make test` on the embedded servers, which the production checks refuse, ruecklauf.E007).
NOT_FOR_SERVERS = ("RUECKLAUF_TESTING", "DJANGO_ALLOW_ASYNC_UNSAFE", "RUECKLAUF_EMBEDDED")


def production_env(env: dict[str, str]) -> dict[str, str]:
    full_env = {key: value for key, value in os.environ.items() if key not in NOT_FOR_SERVERS}
    full_env.update(PRODUCTION_ENV)
    full_env["STATIC_ROOT"] = collected_static()
    full_env.update(env)
    return full_env


@contextlib.contextmanager
def gunicorn(env: dict[str, str]) -> Iterator[str]:
    """Serve config.wsgi with gunicorn (production settings unless env says otherwise); yields the base URL."""
    port = free_port()
    full_env = production_env(env)
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
    return run_database_url()
