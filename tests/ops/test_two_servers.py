"""Two web servers in front of the same PostgreSQL and Redis behave as one.

Two gunicorn processes (production settings, each on its own free port) serve the test database;
one HTTP client (one cookie jar, as a browser behind a load balancer) alternates between them
request by request. Whatever one process kept in its own memory would show up here as a lost
session, a vanished upload preview, an export file the other cannot find or a rate limit that
counts per server.
"""

import contextlib
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.contrib.auth.hashers import make_password

from harness.serve import free_port
from tests.ops.conftest import ROOT, db_url_of_test_run, production_env
from tests.responses.test_flow import USER
from tests.worker import celery_worker

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
SLUG = "kgst-social-media-2013"


@contextlib.contextmanager
def serve(env: dict[str, str], log: Path) -> Iterator[str]:
    port = free_port()
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "config.wsgi:application",
             "--bind", f"127.0.0.1:{port}", "--workers", "1", "--timeout", "60"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 40
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {log.read_text(errors='replace')[-2000:]}")
            with contextlib.suppress(requests.ConnectionError):
                requests.get(base + "/health/", timeout=5)
                break
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


class Alternating:
    """One client (one cookie jar) whose every request goes to the next server in turn."""

    def __init__(self, bases: list[str]) -> None:
        self.bases = bases
        self.session = requests.Session()
        self.served_by: list[str] = []

    def _base(self) -> str:
        base = self.bases[len(self.served_by) % len(self.bases)]
        self.served_by.append(base)
        return base

    def get(self, path: str) -> requests.Response:
        return self.session.get(self._base() + path, allow_redirects=False, timeout=30)

    def post(self, path: str, data: dict | None = None, files: dict | None = None) -> requests.Response:
        payload = {"csrfmiddlewaretoken": self.session.cookies.get("csrftoken", ""), **(data or {})}
        return self.session.post(self._base() + path, data=payload, files=files, allow_redirects=False, timeout=60)


@pytest.fixture
def servers(tmp_path, settings) -> list[str]:
    media = tmp_path / "media"  # the storage both servers (and the worker) read and write
    media.mkdir()
    settings.MEDIA_ROOT = media
    # every server needs the same key of the personal links (made here, in the test process)
    settings.TOKEN_SECRET = "two-servers-token-secret-" + "t" * 30
    redis = settings.CELERY_BROKER_URL
    with contextlib.ExitStack() as stack:
        bases = []
        for name in ("a", "b"):
            env = {"SECURE_HTTPS": "0", "SITE_URL": "http://127.0.0.1", "DATABASE_URL": db_url_of_test_run(),
                         "CELERY_BROKER_URL": redis, "REDIS_URL": redis, "MEDIA_ROOT": str(media),
                         "ALLOWED_HOSTS": "127.0.0.1", "LOG_LEVEL": "WARNING", "TOKEN_RATELIMIT": "20/10m",
                   "TOKEN_SECRET": settings.TOKEN_SECRET,
                   # sessions across servers are tested here; the second factor in tests/accounts
                   "STAFF_REQUIRE_2FA": "0"}
            bases.append(stack.enter_context(serve(production_env(env), tmp_path / f"gunicorn-{name}.log")))
        yield bases


@pytest.fixture
def client(servers) -> Alternating:
    return Alternating(servers)


def test_a_respondents_walk_alternating_between_servers(servers, client, kgst_survey, make_invitation):
    invitation = make_invitation(kgst_survey)
    token = invitation.token
    response = client.get(f"/s/{token}/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/willkommen/")
    assert f'href="/s/{token}/seite/P1/"' in client.get(response.headers["Location"]).text  # "Befragung beginnen"
    location = f"/s/{token}/seite/P1/"
    for code, answers in USER:
        assert location.endswith(f"/s/{token}/seite/{code}/"), location
        html = client.get(location).text
        version = re.search(r'name="_version" value="(\d+)"', html).group(1)
        response = client.post(location, {"_version": version, "aktion": "weiter", **answers})
        assert response.status_code == 302, response.text[:2000]
        location = response.headers["Location"]
    assert location.endswith("/pruefen/")
    review = client.get(location)
    assert review.status_code == 200 and "Mastodon" in review.text  # what was saved on the other server
    response = client.post(location, {"aktion": "absenden"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/danke/")
    assert client.get(response.headers["Location"]).status_code == 200
    assert set(client.served_by) == set(servers) and len(client.served_by) > 10
    from responses.models import Response

    assert Response.objects.get(invitation=invitation).status == "submitted"


def _log_in(client: Alternating, django_user_model) -> None:
    from accounts import roles

    user = django_user_model.objects.create_user("staff2", "staff2@example.org")
    # the servers run production settings, which know only the production hasher
    user.password = make_password("Test-Passwort-123", hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])
    roles.grant(user, roles.OWNER)
    assert client.get("/staff/login/").status_code == 200  # server A sets the CSRF cookie
    response = client.post("/staff/login/", {"username": "staff2", "password": "Test-Passwort-123"})
    assert response.status_code == 302, response.text[:1000]  # server B accepts it: the session is in PostgreSQL


def test_register_upload_and_preview_on_different_servers(servers, client, django_user_model):
    from invitations.models import Member

    _log_in(client, django_user_model)
    csv = ("ags;name;land;typ;einwohner;email;ansprechpartner\n"
           "05315000;Köln;Nordrhein-Westfalen;kreisfreie Stadt;1084831;rathaus@koeln.example;Frau A\n"
           "09162000;München;Bayern;kreisfreie Stadt;1512491;rathaus@muenchen.example;Herr B\n").encode()
    assert client.get("/staff/register/").status_code == 200
    response = client.post("/staff/register/", files={"file": ("register.csv", csv, "text/csv")})
    assert response.status_code == 302, response.text[:2000]
    preview_url = response.headers["Location"]
    preview = client.get(preview_url)  # the upload was kept in Redis, not in the first server's memory
    assert preview.status_code == 200 and "München" in preview.text
    assert client.post(preview_url, {}).status_code == 302
    assert set(Member.objects.values_list("ags", flat=True)) == {"05315000", "09162000"}


@pytest.mark.worker
def test_export_requested_on_one_server_and_downloaded_from_the_other(servers, client, django_user_model,
                                                                       kgst_survey, make_invitation):
    from django.test import Client

    from exports.models import ExportJob
    from tests.responses.helpers import Flow
    from tests.responses.test_flow import walk

    flow = Flow(Client(), make_invitation(kgst_survey))
    walk(flow, USER)
    assert flow.submit().status_code == 302
    _log_in(client, django_user_model)
    with celery_worker(concurrency=1):
        response = client.post(f"/staff/befragungen/{SLUG}/exporte/neu/", {"format": "csv"})
        assert response.status_code == 302, response.text[:2000]
        job = ExportJob.objects.get()
        deadline = time.monotonic() + 120
        while ExportJob.objects.get(pk=job.pk).status != "done":
            assert time.monotonic() < deadline, ExportJob.objects.get(pk=job.pk).status
            time.sleep(0.5)
    job.refresh_from_db()
    served = []
    for _ in range(2):  # from both servers, one after the other
        download = client.get(f"/staff/exporte/{job.pk}/herunterladen/")
        served.append(client.served_by[-1])
        assert download.status_code == 200, download.status_code
        assert "Mastodon" in download.content.decode("utf-8-sig")
    assert set(served) == set(servers)


def test_rate_limit_on_wrong_tokens_counts_across_servers(servers, client, kgst_survey, make_invitation):
    from django.core.cache import cache

    cache.clear()
    invitation = make_invitation(kgst_survey)
    wrong = [client.get(f"/s/{'Falsch' + str(i).zfill(30)}/").status_code for i in range(20)]
    assert wrong == [404] * 20  # ten misses on each server, counted together
    assert client.get("/s/" + "Z" * 43 + "/").status_code == 429
    # now blocked on both servers for guesses, while the right link still opens (as with one server)
    assert client.get("/s/" + "Y" * 43 + "/").status_code == 429
    assert [client.get(f"/s/{invitation.token}/").status_code for _ in range(2)] == [302, 302]
    assert client.get("/s/").status_code == 200  # the form (and its CSRF cookie); only answers count
    assert client.post("/s/", {"code": "FALSCH-0000-00000"}).status_code == 429
    cache.clear()  # the counter lives in Redis only: clearing it lifts the block on both servers
    assert [client.get(f"/s/{invitation.token}/").status_code for _ in range(2)] == [302, 302]
