"""Plumbing for the fault drills: the app under gunicorn against a given database and Redis, the
KGSt survey with invitations, the stored answers read back, and a small respondent client.

The drills restart PostgreSQL and Redis: by default servers of their own (harness.servers), so
the machine's shared servers — and everybody else's test runs — are not disturbed.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import psycopg

from harness.client import Client, Reply
from harness.serve import django_here, gunicorn, manage, recreate_database, run_module

DEFINITION = "surveys/definitions/kgst-social-media-2013.yaml"
SLUG = "kgst-social-media-2013"


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
