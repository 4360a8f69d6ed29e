"""Security headers, cookies in production settings, token rate limit, and tokens kept out of logs."""

import io
import json
import logging
import subprocess
import sys
import time
import urllib.request

import pytest
from django.test import Client, override_settings

from config.logging import RedactTokens

pytestmark = pytest.mark.django_db


def csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.fixture
def invitation(kgst_survey, make_invitation):
    return make_invitation(kgst_survey)


def test_security_headers_on_respondent_and_staff_pages(client, invitation, staff_client):
    pages = [client.get(f"/s/{invitation.token}/", follow=True), client.get("/s/"),
             staff_client.get("/staff/"), Client().get("/staff/login/")]
    for response in pages:
        assert response.status_code == 200
        policy = csp(response)
        for directive, sources in policy.items():
            for source in sources:
                assert source in ("'self'", "'none'", "data:"), (directive, source)  # no third party
        assert policy["frame-ancestors"] == ["'none'"] and policy["default-src"] == ["'self'"]
        assert response["X-Frame-Options"] == "DENY"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Content-Type-Options"] == "nosniff"


def production_settings(**env) -> dict:
    code = ("import django, json; from django.conf import settings as s; django.setup(); print(json.dumps({k: "
            "getattr(s, k) for k in ['SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', "
            "'CSRF_COOKIE_HTTPONLY', 'SECURE_HSTS_SECONDS', 'SECURE_REFERRER_POLICY', 'X_FRAME_OPTIONS', "
            "'DEBUG']}))")
    base = {"DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": "prod-test-" + "x" * 40, "PATH": "/usr/bin"}
    proc = subprocess.run([sys.executable, "-c", code], env={**base, **env}, capture_output=True, text=True,
                          timeout=60, cwd=str(__import__("pathlib").Path(__file__).resolve().parents[2]))
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_production_settings_are_secure_by_default():
    prod = production_settings()  # DEBUG off, SECURE_HTTPS defaults to on
    assert prod["DEBUG"] is False
    assert prod["SESSION_COOKIE_SECURE"] and prod["CSRF_COOKIE_SECURE"]
    assert prod["SESSION_COOKIE_HTTPONLY"] and prod["CSRF_COOKIE_HTTPONLY"]
    assert prod["SECURE_HSTS_SECONDS"] >= 31536000
    plain = production_settings(SECURE_HTTPS="0")
    assert plain["SECURE_HSTS_SECONDS"] == 0 and not plain["SESSION_COOKIE_SECURE"]


@override_settings(SECURE_HSTS_SECONDS=31536000, SESSION_COOKIE_SECURE=True, CSRF_COOKIE_SECURE=True)
def test_hsts_and_secure_httponly_cookies_over_https(staff_user):
    client = Client()
    login_page = client.get("/staff/login/", secure=True)
    assert login_page["Strict-Transport-Security"].startswith("max-age=31536000")
    csrf = login_page.cookies["csrftoken"]
    assert csrf["secure"] and csrf["httponly"]
    logged_in = client.post("/staff/login/", {"username": "staff", "password": "Test-Passwort-123"}, secure=True)
    assert logged_in.status_code == 302
    session = logged_in.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    assert "Strict-Transport-Security" not in Client().get("/staff/login/")  # never over plain http


def test_token_guessing_is_rate_limited(invitation, settings):
    from django.core.cache import cache

    settings.TOKEN_RATELIMIT = "20/10m"
    guesser = Client(REMOTE_ADDR="198.51.100.66")
    codes = [guesser.get(f"/s/{'G' * 30}{n:05d}/").status_code for n in range(25)]
    assert codes[:20] == [404] * 20 and set(codes[20:]) == {429}
    # Issue L: wrong guesses wait, a right token or code still opens (shared addresses of a Land's network).
    assert guesser.get(f"/s/{'G' * 30}99999/").status_code == 429
    assert guesser.get(f"/s/{invitation.token}/").status_code == 302
    assert guesser.post("/s/", {"code": invitation.access_code}).status_code == 302
    assert Client(REMOTE_ADDR="198.51.100.67").get(f"/s/{invitation.token}/").status_code == 302
    cache.clear()


@pytest.fixture
def console_output():
    """What the configured console handler (settings.LOGGING) really writes."""
    handlers = [h for h in logging.getLogger().handlers + logging.getLogger("django.server").handlers
                if any(isinstance(f, RedactTokens) for f in h.filters)]
    assert handlers, "the redaction filter is not attached to any handler"
    buffer = io.StringIO()
    old = [h.setStream(buffer) for h in handlers]
    yield buffer
    for handler, stream in zip(handlers, old):
        handler.setStream(stream)


def test_tokens_are_not_in_request_logs(client, invitation, console_output):
    token = invitation.token
    client.get(f"/s/{token}/seite/GIBTESNICHT/")  # 404 → django.request "Not Found: /s/<token>/…"
    client.get(f"/abmelden/{token}x/")
    logging.getLogger("django.server").info('"%s" %s %s', f"GET /s/{token}/ HTTP/1.1", "302", "0")
    logging.getLogger("django.request").warning("Not Found: %s", f"/s/{token}/pruefen/")
    logging.getLogger("responses").error(f"odd request to /s/{token}/danke/")
    output = console_output.getvalue()
    assert "Not Found" in output and "[token]" in output
    assert token not in output and token[:16] not in output


def test_redaction_handles_mapping_args():
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, "%(r)s", None, None)
    record.args = {"r": "GET /s/abcdefghijklmnopqrstuvwxyz012345/ HTTP/1.1"}
    RedactTokens().filter(record)
    assert "abcdefghijklmnop" not in record.getMessage()


@pytest.mark.parametrize("access_log", [False, True], ids=["dockerfile", "with-access-log"])
def test_tokens_not_in_gunicorn_output(transactional_db, kgst_survey, make_invitation, tmp_path, access_log):
    """gunicorn as the Dockerfile runs it (error log to stderr, no access log), LOG_LEVEL=INFO, and
    with `--access-logfile -` as an operator (or the browser-test harness) may add it."""
    from tests.e2e.server import GUNICORN, ROOT, free_port, server_env, stop

    token = make_invitation(kgst_survey).token
    port = free_port()
    log = tmp_path / "gunicorn.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [str(GUNICORN), "config.wsgi:application", "--bind", f"127.0.0.1:{port}", "--timeout", "60",
             "--error-logfile", "-", "-w", "1", *(["--access-logfile", "-"] if access_log else [])],
            cwd=ROOT, env={**server_env(port), "LOG_LEVEL": "INFO"}, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/health/", timeout=2)  # noqa: S310
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                time.sleep(0.2)
        for path in (f"/s/{token}/", f"/s/{token}/seite/GIBTESNICHT/", f"/abmelden/{token}/"):
            try:
                urllib.request.urlopen(base + path, timeout=10)  # noqa: S310
            except urllib.error.HTTPError:
                pass
    finally:
        stop(proc)
    text = log.read_text(errors="replace")
    assert "Not Found" in text, text[-2000:]  # the app's request log reached gunicorn's output
    if access_log:
        assert "GET /s/[token]/" in text, text[-2000:]
    assert token not in text
