"""`make run` on a fresh clone without DATABASE_URL: the production stack from pip packages.

The clone gets the project's files as git sees them and the test run's virtualenv (installing one
takes minutes; `bench/first_run.py` measures that). Nothing here is mocked: the embedded PostgreSQL
and Redis, the Celery worker and beat and the development server are the processes `make run`
starts, and the test stops them as a developer's Ctrl-C does.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from harness.serve import free_port
from tests.ops.conftest import ROOT
from tests.worker import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.worker]

LINK_RE = re.compile(r"(http://127\.0\.0\.1:\d+/s/[A-Za-z0-9_-]{20,}/)\s+code (\S+)")
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION_RE = re.compile(r'name="_version" value="([^"]*)"')
# Only what a developer's shell has: no database, broker, mail or site settings.
KEEP = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "USER")


@pytest.fixture
def reachable_dir():
    """A folder the PostgreSQL system user can reach when the tests run as root.

    Not under pytest's tmp_path: pytest resets /tmp/pytest-of-<user> to 0700 whenever another test
    process sets up its own temporary folders, which would lock the server out mid-test.
    """
    folder = Path(tempfile.mkdtemp(prefix="ruecklauf-devstack-"))
    folder.chmod(0o711)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def reachable(target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    target.chmod(0o711)
    return target


def fresh_clone(target: Path) -> Path:
    reachable(target)
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True,
                           capture_output=True).stdout.decode().split("\0")
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    (target / ".venv").symlink_to(ROOT / ".venv")
    return target


def developer_env() -> dict[str, str]:
    return {key: os.environ[key] for key in KEEP if key in os.environ}


def stack_processes(clone: Path) -> list[str]:
    """Every running process that belongs to the clone's stack (by command line or working folder)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if str(clone) in cmdline or cwd.startswith(str(clone)):
            found.append(f"{entry.name}: {cmdline.strip()}")
    return found


class Browser:
    """Just enough of a browser for the respondent's path: cookies, redirects, forms with CSRF."""

    def __init__(self) -> None:
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, url: str) -> tuple[int, str, str]:
        with self.opener.open(url, timeout=30) as reply:
            return reply.status, reply.url, reply.read().decode()

    def post(self, url: str, fields: dict[str, str]) -> tuple[int, str, str]:
        data = urllib.parse.urlencode(fields).encode()
        request = urllib.request.Request(url, data=data, headers={"Referer": url})
        with self.opener.open(request, timeout=30) as reply:
            return reply.status, reply.url, reply.read().decode()


def manage(clone: Path, code: str) -> str:
    """`manage.py shell -c` typed by hand beside `make run`: settings find the embedded servers."""
    done = subprocess.run([str(clone / ".venv/bin/python"), "manage.py", "shell", "-c", code], cwd=clone,
                          env={**developer_env(), "DEBUG": "1"}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


# The links in the plain-text part of every mail in the local mailbox, up to "/s/".
MAIL_LINKS = """
import email, email.policy, re
from invitations.models import LocalMail
parts = [part for mail in LocalMail.objects.all()
         for part in email.message_from_bytes(bytes(mail.raw), policy=email.policy.default).walk()
         if part.get_content_type() == "text/plain"]
print(sorted({m.group(0) for part in parts for m in re.finditer(r"http://[0-9.:]+/s/", part.get_content())}))
"""


def test_make_run_on_a_fresh_clone_takes_answers_and_stops_cleanly(reachable_dir, tmp_path):
    clone = fresh_clone(reachable_dir / "clone")
    port = free_port()
    log = tmp_path / "make-run.log"
    with open(log, "wb") as out:
        make = subprocess.Popen(["make", "run", f"PORT={port}"], cwd=clone, env=developer_env(), stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        assert wait_for(lambda: "Quit the server" in log.read_text() or make.poll() is not None, timeout=240)
        assert make.poll() is None, log.read_text()
        printed = log.read_text()
        assert f"Staff area: http://127.0.0.1:{port}/staff/" in printed  # links follow the real port
        link, code = LINK_RE.search(printed).groups()
        assert link.startswith(f"http://127.0.0.1:{port}/s/")

        # the /health/ of the embedded setup says what it is
        browser = Browser()
        health = f"http://127.0.0.1:{port}/health/"
        assert wait_for(lambda: '"worker": "ok"' in browser.get(health)[2], timeout=60), browser.get(health)
        status, _url, body = browser.get(health)
        assert status == 200 and "embedded PostgreSQL in " + str(clone / "var") in body

        # the printed personal link opens the welcome page
        status, url, body = browser.get(link)
        assert status == 200 and url.endswith("/willkommen/") and "Befragung beginnen" in body

        # a page is answered and stored
        page = link + "seite/P1/"
        _status, _url, body = browser.get(page)
        fields = {"csrfmiddlewaretoken": CSRF_RE.search(body).group(1), "_version": VERSION_RE.search(body).group(1),
                  "A1_bereich": "2", "A2_beschaeftigte": "7", "aktion": "weiter"}
        status, url, body = browser.post(page, fields)
        assert status == 200 and url.endswith("/seite/P2/"), body[:2000]
        assert manage(clone, "from responses.models import Answer; "
                             "print(sorted(Answer.objects.values_list('variable', 'value')))") \
            == "[('A1_bereich', '2'), ('A2_beschaeftigte', '7')]"

        # the access code form leads to the same questionnaire
        other = Browser()
        _status, _url, body = other.get(f"http://127.0.0.1:{port}/s/")
        status, url, body = other.post(f"http://127.0.0.1:{port}/s/",
                                       {"csrfmiddlewaretoken": CSRF_RE.search(body).group(1), "code": code})
        assert status == 200 and "/s/" in url and "Seite nicht gefunden" not in body and "Server" not in body[:500]

        # tasks go to the separate worker process: the command only queues, the worker sends
        queued = subprocess.run([str(clone / ".venv/bin/python"), "manage.py", "send_invitations",
                                 "kgst-social-media-2013"], cwd=clone, env={**developer_env(), "DEBUG": "1"},
                                capture_output=True, text=True, timeout=120)
        assert queued.returncode == 0, queued.stderr
        count = "from invitations.models import LocalMail; print(LocalMail.objects.count())"
        assert wait_for(lambda: manage(clone, count) == "12", timeout=90), (clone / "var/log/worker.log").read_text()
        assert "invitations.tasks.send_message" in (clone / "var/log/worker.log").read_text()
        # the worker builds the mails' links on the port the server really serves
        links = manage(clone, MAIL_LINKS)
        assert links == f"['http://127.0.0.1:{port}/s/']", links
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGINT)  # what Ctrl-C in the terminal sends to the foreground group
        make.wait(timeout=90)
    assert wait_for(lambda: not stack_processes(clone), timeout=30), stack_processes(clone)
    assert not (clone / "var/devstack.json").exists()


def test_a_second_start_after_a_kill_cleans_up(reachable_dir):
    """SIGKILL of the supervisor: its children stop with it; the servers stopped by the next start at the latest."""
    clone = fresh_clone(reachable_dir / "clone")
    python = str(clone / ".venv/bin/python")
    first = subprocess.Popen([python, "-m", "devstack", "exec", "--", "sleep", "300"], cwd=clone,
                             env=developer_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             start_new_session=True)
    assert wait_for(lambda: (clone / "var/pg/postmaster.pid").exists() and (clone / "var/run/redis.sock").exists(),
                    timeout=60)
    time.sleep(0.5)
    first.kill()
    first.wait()
    second = subprocess.run([python, "-m", "devstack", "exec", "--", python, "-c", "print('second run')"],
                            cwd=clone, env=developer_env(), capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr
    assert "second run" in second.stdout
    assert wait_for(lambda: not stack_processes(clone), timeout=30), \
        stack_processes(clone)


# The respondent's path (responses/respondent/queries.py) and the result tables (exports: `= ANY(%s)`, `~`) are
# PostgreSQL SQL; these modules run again on the embedded server `make test` starts without DATABASE_URL.
ON_THE_EMBEDDED_SERVER = ["tests/responses/test_flow.py", "tests/responses/test_queries.py",
                          "tests/exports/test_aggregation.py", "tests/exports/test_crosstab.py",
                          "tests/exports/test_reference.py", "tests/exports/test_free_texts.py"]


def test_respondent_and_export_tests_pass_on_the_embedded_server(reachable_dir):
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "RUECKLAUF_EMBEDDED",
                          "PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_ADDOPTS")}
    env.update(RUECKLAUF_TESTING="1", RUECKLAUF_VAR=str(reachable(reachable_dir / "var")))
    python = str(ROOT / ".venv/bin/python")
    done = subprocess.run([python, "-m", "devstack", "exec", "--profile", "test", "--", python, "-m", "pytest",
                           "-q", "-p", "no:cacheprovider", "-p", "no:randomly", *ON_THE_EMBEDDED_SERVER],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in summary and "failed" not in summary and "error" not in summary, summary
    assert "embedded PostgreSQL" in done.stderr or "PostgreSQL and Redis ready" in done.stderr, done.stderr
