"""No silent misconfiguration: a production start with something missing stops with one sentence
naming the setting — in `manage.py check --deploy`, at gunicorn's start and in `/health/`."""

import json
import shutil
import subprocess
import sys

import pytest
from django.core.checks import run_checks

from config import checks
from harness.serve import free_port
from invitations.checks import BOUNCE_TLS_MODES
from tests.ops.conftest import ROOT, collected_static, production_env

MANIFEST_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"


@pytest.fixture
def production(settings):
    """In-process settings as a complete production configuration; each test breaks one thing."""
    settings.DEBUG = False
    settings.TESTING = False
    settings.EMBEDDED_STACK = ""  # `make test` on the embedded servers says so; production names its own
    settings.SECRET_KEY = "a-long-random-production-secret-0123456789-abcdefghij"
    settings.TOKEN_SECRET = settings.SECRET_KEY
    settings.SITE_URL = "https://umfrage.example.org"
    settings.SECURE_HTTPS = True
    settings.EMAIL_HOST = "mail.example.org"
    settings.CELERY_BROKER_URL = settings.CELERY_BROKER_URL or "redis://127.0.0.1:6379/4"
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": MANIFEST_STORAGE}}
    settings.STATIC_ROOT = collected_static()
    return settings


def ids() -> list[str]:
    return [error.id for error in checks.problems()]


def messages() -> str:
    return " ".join(error.msg for error in checks.problems())


def test_a_complete_configuration_passes(production):
    assert checks.problems() == []
    assert [m for m in run_checks(include_deployment_checks=True) if m.id.startswith("ruecklauf.")] == []


def test_development_and_test_runs_are_not_production(production):
    production.STATIC_ROOT = "/nonexistent"
    production.EMAIL_HOST = ""
    assert ids() == ["ruecklauf.E004", "ruecklauf.E001"]
    production.DEBUG = True
    assert ids() == []
    production.DEBUG, production.TESTING = False, True
    assert ids() == []


def test_static_files_not_collected(production, tmp_path):
    production.STATIC_ROOT = tmp_path / "leer"
    assert ids() == ["ruecklauf.E001"]
    assert "Static files are not collected: STATIC_ROOT" in messages() and "collectstatic --noinput" in messages()


def test_static_files_out_of_date(production, tmp_path):
    root = tmp_path / "static"
    shutil.copytree(collected_static(), root)
    manifest = json.loads((root / "staticfiles.json").read_text())
    del manifest["paths"]["css/app.css"]
    (root / "staticfiles.json").write_text(json.dumps(manifest))
    production.STATIC_ROOT = root
    assert ids() == ["ruecklauf.E001"]
    assert "out of date (1 file(s) missing, e.g. css/app.css)" in messages()
    (root / "staticfiles.json").write_text("{kaputt")
    assert "static files manifest in STATIC_ROOT cannot be read" in messages()


@pytest.mark.parametrize("key", ["insecure-development-key-do-not-use-in-production", "build-only-not-a-secret",
                                 "kurz", "x" * 60])
def test_secret_key_default_or_weak(production, key):
    production.SECRET_KEY = key
    production.TOKEN_SECRET = key
    assert ids() == ["ruecklauf.E002"]
    assert messages().startswith("SECRET_KEY is missing or not secret")


def test_weak_token_secret(production):
    production.TOKEN_SECRET = "build-only-not-a-secret"
    assert ids() == ["ruecklauf.E002"] and messages().startswith("TOKEN_SECRET is not secret")


def test_site_url_scheme_must_match_secure_https(production):
    production.SITE_URL = "http://umfrage.example.org"
    assert ids() == ["ruecklauf.E003"] and "SITE_URL starts with http:// but SECURE_HTTPS=1" in messages()
    production.SECURE_HTTPS = False
    assert ids() == []
    production.SITE_URL = "https://umfrage.example.org"
    assert ids() == ["ruecklauf.E003"] and "SITE_URL starts with https:// but SECURE_HTTPS=0" in messages()
    production.SITE_URL = "umfrage.example.org"
    assert ids() == ["ruecklauf.E003"] and "SITE_URL is not an absolute URL" in messages()


def test_no_mail_server(production):
    production.EMAIL_HOST = ""
    assert ids() == ["ruecklauf.E004"] and messages().startswith("EMAIL_HOST is not set")
    production.SILENCED_SYSTEM_CHECKS = ["ruecklauf.E004"]  # knowingly, e.g. a benchmark
    assert ids() == []


def test_no_broker_while_workers_are_expected(production):
    production.CELERY_BROKER_URL = ""
    assert ids() == ["ruecklauf.E005"] and messages().startswith("CELERY_BROKER_URL (or REDIS_URL) is not set")
    production.EXPECT_WORKERS = False
    assert ids() == []


def test_the_embedded_development_servers_are_refused(production):
    production.EMBEDDED_STACK = "development: embedded PostgreSQL in /srv/ruecklauf/var/pg, …"
    assert ids() == ["ruecklauf.E007"] and messages().startswith("DATABASE_URL is not set")
    assert "/srv/ruecklauf" not in messages()  # /health/ shows the sentence without a login


def test_an_unknown_imap_tls_mode_is_refused(production):
    production.BOUNCE_IMAP_HOST = "imap.example.org"
    production.BOUNCE_IMAP_TLS = "tls"  # a plausible typo that must not mean plain text
    assert ids() == ["ruecklauf.E006"] and messages().startswith("BOUNCE_IMAP_TLS must be implicit")
    for mode in BOUNCE_TLS_MODES:
        production.BOUNCE_IMAP_TLS = mode
        assert ids() == []
    production.BOUNCE_IMAP_TLS, production.BOUNCE_IMAP_HOST = "yes", ""  # no mailbox configured: nothing to say
    assert ids() == []


@pytest.mark.django_db
def test_health_reports_the_misconfiguration(production, client):
    production.EMAIL_HOST = ""
    production.ALLOWED_HOSTS = ["testserver"]
    response = client.get("/health/", secure=True)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error" and body["database"] == "ok"
    assert body["configuration"] == [checks.check_email()[0].msg + " (ruecklauf.E004)"]
    assert "mail.example.org" not in response.content.decode()


# -- as an operator meets them: subprocesses with the environment of a real start --------------


def run(args: list[str], env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize(("change", "setting"), [
    ({"STATIC_ROOT": "/nonexistent/static"}, "STATIC_ROOT"),
    ({"SECRET_KEY": "build-only-not-a-secret"}, "SECRET_KEY"),
    ({"SITE_URL": "http://umfrage.example.org"}, "SITE_URL"),
    ({"EMAIL_HOST": ""}, "EMAIL_HOST"),
    ({"CELERY_BROKER_URL": "", "REDIS_URL": ""}, "CELERY_BROKER_URL"),
    ({"DATABASE_URL": "", "CELERY_BROKER_URL": "", "REDIS_URL": ""}, "DATABASE_URL"),
    ({"BOUNCE_IMAP_HOST": "imap.example.org", "BOUNCE_IMAP_TLS": "tls"}, "BOUNCE_IMAP_TLS"),  # the app's own check
])
def test_check_deploy_names_the_setting(change, setting):
    result = run([sys.executable, "manage.py", "check", "--deploy"], production_env(change))
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if "(ruecklauf.E" in line]
    assert len(errors) == 1 and setting in errors[0], result.stderr
    assert "Traceback" not in result.stderr


def test_check_deploy_passes_a_complete_configuration():
    result = run([sys.executable, "manage.py", "check", "--deploy"], production_env({}))
    assert result.returncode == 0, result.stderr
    assert "ruecklauf.E" not in result.stdout + result.stderr


def test_missing_secret_key_is_one_sentence_without_traceback():
    env = production_env({})
    del env["SECRET_KEY"]
    result = run([sys.executable, "manage.py", "check", "--deploy"], env)
    assert result.returncode == 1
    assert result.stderr.strip().startswith("Error: SECRET_KEY is not set") and "Traceback" not in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize(("change", "sentence"), [
    ({"STATIC_ROOT": "/nonexistent/static"}, "Static files are not collected"),
    ({"SECRET_KEY": ""}, "SECRET_KEY is not set"),
    ({"EMAIL_HOST": ""}, "EMAIL_HOST is not set"),
])
def test_gunicorn_refuses_to_start_instead_of_serving_500(change, sentence):
    """The image's command (gunicorn with gunicorn.conf.py) exits at once with the reason; no port opens."""
    port = free_port()
    result = run([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "config.wsgi:application",
                  "--bind", f"127.0.0.1:{port}", "--workers", "1"], production_env(change), timeout=60)
    assert result.returncode == 1
    assert f"Error: Rücklauf does not start: {sentence}" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and "Booting worker" not in result.stderr
