"""Plumbing for the fault drills: private PostgreSQL/Redis servers, the app under gunicorn and
Celery, and a small respondent client.

The drills restart PostgreSQL and Redis. By default they do it to servers of their own (a
PostgreSQL cluster in a temporary directory, a redis-server on a free port, both on 127.0.0.1),
so the machine's shared servers — and everybody else's test runs — are not disturbed; the app
cannot tell the difference. `--shared` in the drills uses the machine's servers instead.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import psycopg
import redis

from bench.client import Client, Reply
from bench.serve import django_here, free_port, gunicorn, manage, recreate_database, run_module

DEFINITION = "surveys/definitions/kgst-social-media-2013.yaml"
SLUG = "kgst-social-media-2013"
PG_BIN = Path(sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]) if Path("/usr/lib/postgresql").exists() else None


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except Exception:  # noqa: BLE001 - not yet
            pass
        time.sleep(interval)
    return False


# -- servers ---------------------------------------------------------------------------------

class PrivatePostgres:
    """A throw-away PostgreSQL cluster on 127.0.0.1:<free port>, trust auth, run as user postgres."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="rl_drill_pg_"))
        self.data = self.dir / "data"
        self.port = free_port()
        shutil.chown(self.dir, "postgres", "postgres")

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def _run(self, *args: str, timeout: float = 120) -> None:
        cmd = ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else list(args)
        subprocess.run(cmd, check=True, capture_output=True, timeout=timeout)

    def _ctl(self, action: str, *extra: str) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off"
        self._run(str(PG_BIN / "pg_ctl"), action, "-D", str(self.data), "-w", "-t", "60", "-o", options,
                  "-l", str(self.dir / "server.log"), *extra)

    def start(self) -> None:
        if not self.data.exists():
            self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "--auth=trust", "-U", "postgres", "-E", "UTF8",
                      "--locale=C.UTF-8")
        self._ctl("start")

    def restart(self, down: float = 0.0) -> None:
        """Fast shutdown (every connection is cut), `down` seconds without a server, start again."""
        if not down:
            self._ctl("restart", "-m", "fast")
            return
        self._ctl("stop", "-m", "fast")
        time.sleep(down)
        self._ctl("start")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            self._ctl("stop", "-m", "fast")

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class SharedPostgres:
    """The machine's cluster (`pg_ctlcluster … main restart`): disturbs everybody's connections."""

    port = 5432

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:5432/{name}"

    def start(self) -> None:
        pass

    def restart(self, down: float = 0.0) -> None:
        version = sorted(os.listdir("/etc/postgresql"))[-1]
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True,
                       timeout=120)

    def cleanup(self) -> None:
        pass


class PrivateRedis:
    """redis-server on a free port, nothing on disk (a restart loses every key, like the shared one)."""

    def __init__(self, port: int = 0) -> None:
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def up(self) -> bool:
        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        if not wait_for(self.up, timeout=10):
            raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    cleanup = stop


class SharedRedis(PrivateRedis):
    """The machine's redis-server on 6379 (a restart flushes every DB of everybody)."""

    def __init__(self) -> None:
        super().__init__(6379)

    def start(self) -> None:
        subprocess.run(["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", "6379", "--save", "",
                        "--appendonly", "no"], check=True)
        if not wait_for(self.up, timeout=10):
            raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        with contextlib.suppress(redis.RedisError):
            redis.Redis(port=6379).shutdown(nosave=True)
        wait_for(lambda: not self.up(), timeout=10)

    def cleanup(self) -> None:
        if not self.up():
            self.start()


# -- the app ---------------------------------------------------------------------------------

def app_env(database_url: str, redis_url: str, out: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    # DJANGO_ALLOW_ASYNC_UNSAFE (set by the browser tests) fails the start-up checks (async.E001)
    for key in ("RUECKLAUF_TESTING", "CACHE_URL", "EMAIL_HOST", "PYTEST_CURRENT_TEST", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(key, None)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings", DATABASE_URL=database_url, REDIS_URL=redis_url,
        CELERY_BROKER_URL=redis_url, DEBUG="0", SECURE_HTTPS="0", SECRET_KEY="drill-secret-" + "d" * 40,
        ALLOWED_HOSTS="127.0.0.1", STATIC_ROOT=str(out / "static"), MEDIA_ROOT=str(out / "media"),
        LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1",
        SILENCED_SYSTEM_CHECKS="ruecklauf.E004",  # mails go to the log on purpose (config/checks.py)
    )
    env.update(extra)
    return env


def prepare(env: dict[str, str], invitations: int, out: Path) -> list[dict[str, str]]:
    """Fresh database: migrate, static files, the KGSt survey (open), N invitations; returns the pool."""
    import json

    recreate_database(env["DATABASE_URL"])
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")
    manage(env, "load_survey", DEFINITION)
    run_module(env, "bench.load.seed_load", str(invitations), str(out / "tokens.json"))
    return json.loads((out / "tokens.json").read_text())


@contextlib.contextmanager
def web(env: dict[str, str], out: Path, workers: int = 2, threads: int = 4) -> Iterator[str]:
    with gunicorn(env, "gthread", workers, threads, out / "gunicorn.log") as url:
        yield url


STORED_ANSWERS = """SELECT m.{M.ags}, a.{A.variable}, a.{A.value} FROM {A} a
    JOIN {R} r ON r.{R.id} = a.{A.response} JOIN {I} i ON i.{I.id} = r.{R.invitation}
    JOIN {M} m ON m.{M.id} = i.{I.member}"""


def stored_answers(database_url: str) -> dict[str, dict[str, list[str]]]:
    """{ags: {variable: sorted values}} straight from the PostgreSQL at `database_url` (a new connection
    each time: the drills restart the server in between; inside pytest that is not Django's database)."""
    django_here(database_url)  # for the table and column names only
    from exports.analysis.rawsql import sql
    from invitations.models import Invitation, Member
    from responses.models import Answer, Response

    query = sql(STORED_ANSWERS, A=Answer, R=Response, I=Invitation, M=Member)
    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute(query).fetchall()
    result: dict[str, dict[str, list[str]]] = {}
    for ags, variable, value in rows:
        result.setdefault(ags, {}).setdefault(variable, []).append(value)
    for answers in result.values():
        for values in answers.values():
            values.sort()
    return result


# -- a respondent ----------------------------------------------------------------------------

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION_RE = re.compile(r'name="_version" value="(\d+)"')
CONFLICT_TEXT = "Diese Seite wurde inzwischen von jemand anderem geändert"
RETRY_TEXT = "Bitte versuchen Sie es gleich noch einmal"


class Respondent:
    """One browser: its own cookies and keep-alive connection."""

    def __init__(self, url: str, token: str) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.client = Client(host, int(port))
        self.token = token
        self.base = f"/s/{token}/"

    def get(self, path: str) -> Reply:
        return self.client.request("GET", path)

    def form(self, page: str) -> tuple[Reply, str, str]:
        """GET a page: (reply, csrf token, _version) — empty strings when the form is missing."""
        reply = self.get(f"{self.base}seite/{page}/")
        html = reply.body.decode("utf-8", "replace")
        csrf, version = CSRF_RE.search(html), VERSION_RE.search(html)
        return reply, csrf.group(1) if csrf else "", version.group(1) if version else ""

    def post(self, path: str, fields: list[tuple[str, str]]) -> Reply:
        return self.client.request("POST", path, urlencode(fields))

    def save(self, page: str, fields: list[tuple[str, str]], action: str = "weiter",
             csrf: str = "", version: str = "") -> Reply:
        if not csrf:
            _reply, csrf, version = self.form(page)
        data = [("csrfmiddlewaretoken", csrf), ("_version", version), *fields, ("aktion", action)]
        return self.post(f"{self.base}seite/{page}/", data)

    def close(self) -> None:
        self.client.close()


def flatten(fields: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Posted fields → {variable: sorted values} as stored (text normalised like the app does)."""
    result: dict[str, list[str]] = {}
    for name, value in fields:
        value = value.replace("\r\n", "\n").strip()
        if value:
            result.setdefault(name, []).append(value)
    return {k: sorted(v) for k, v in result.items()}


def classify(reply: Reply) -> str:
    """What a person would see: ok, retry-page (503 with the friendly text), or something bad."""
    body = reply.body.decode("utf-8", "replace")
    if "Traceback" in body or "psycopg" in body or "OperationalError" in body:
        return f"traceback-{reply.status}"
    if reply.status == 503:
        return "retry-page" if RETRY_TEXT in body else "503-other"
    if reply.status in (200, 302):
        return "ok"
    return f"status-{reply.status}"
