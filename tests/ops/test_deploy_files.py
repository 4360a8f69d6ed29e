"""The deployment files can't be run here (no Docker engine), so check them against the repository:
every service, dependency, volume, variable, command and path they name must exist and fit."""

import fnmatch
import re
import subprocess
import sys

import pytest
import yaml

from tests.ops.conftest import ROOT, db_url_of_test_run, free_port, gunicorn

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = ("migrate", "web", "worker", "beat")
DESIGN_ENV = ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "EMAIL_HOST", "DEFAULT_FROM_EMAIL", "SITE_URL",
              "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS")
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def test_compose_services_images_and_health_checks():
    assert set(SERVICES) == {"db", "redis", *APP_SERVICES}
    assert SERVICES["db"]["image"] == "postgres:15"
    assert SERVICES["redis"]["image"] == "redis:7"
    for name in ("db", "redis", "web", "worker"):
        assert SERVICES[name]["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL"), name
    assert any(v.endswith(":/var/lib/postgresql/data") for v in SERVICES["db"]["volumes"])


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_wait_for_healthy_dependencies_and_get_the_design_environment(name):
    service = SERVICES[name]
    assert service["build"] == "."
    depends = service["depends_on"]
    assert depends["redis"]["condition"] == "service_healthy"
    if name != "beat":
        assert depends["db"]["condition"] == "service_healthy"
    if name != "migrate":
        assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert service["env_file"] == ".env"
    for variable in DESIGN_ENV:
        assert variable in service["environment"], (name, variable)
    assert service["environment"]["DEBUG"] == "0"
    for variable in ("SECRET_KEY", "ALLOWED_HOSTS", "SITE_URL", "EMAIL_HOST", "DEFAULT_FROM_EMAIL"):
        assert service["environment"][variable].startswith("${" + variable + ":?"), variable


def test_media_volume_is_shared_by_web_and_worker_at_media_root():
    media_root = SERVICES["web"]["environment"]["MEDIA_ROOT"]
    for name in ("web", "worker"):
        assert f"media:{media_root}" in SERVICES[name]["volumes"], name
    assert "media" in COMPOSE["volumes"]
    assert f"mkdir -p {media_root}" in DOCKERFILE and f"chown app:app {media_root}" in DOCKERFILE


def test_commands_name_things_that_exist():
    from django.core.management import get_commands

    migrate = SERVICES["migrate"]["command"][-1]
    for part in migrate.split("&&"):
        words = part.split()
        assert words[:2] == ["python", "manage.py"]
        assert words[2] in get_commands(), words[2]
        for word in words[3:]:
            if not word.startswith("-"):
                assert (ROOT / word).is_file(), word
    assert SERVICES["worker"]["command"][:4] == ["celery", "-A", "config", "worker"]
    assert SERVICES["beat"]["command"][:4] == ["celery", "-A", "config", "beat"]
    assert (ROOT / "config" / "celery.py").is_file()
    from config.celery import app

    assert app.main == "ruecklauf"
    import config.wsgi

    assert callable(config.wsgi.application)
    for command in ("worker", "beat"):
        assert all("/app" not in arg for arg in SERVICES[command]["command"])  # /app is read-only for "app"


def test_dockerfile_is_slim_non_root_locked_and_serves_gunicorn():
    assert re.search(r"^FROM python:3\.11-slim(-bookworm)?$", DOCKERFILE, re.M)
    assert re.search(r"^USER app$", DOCKERFILE, re.M)
    assert "pip install -r requirements.lock" in DOCKERFILE
    assert "SECRET_KEY=build-only-not-a-secret DEBUG=0 python manage.py collectstatic --noinput" in DOCKERFILE
    cmd = re.search(r"^CMD (\[.*?\])$", DOCKERFILE, re.M | re.S).group(1).replace("\\\n", "")
    cmd = yaml.safe_load(cmd)
    assert cmd[:2] == ["gunicorn", "config.wsgi:application"]
    assert "--access-logfile" not in cmd  # request lines would contain personal links
    assert re.search(r"^gunicorn==", (ROOT / "requirements.lock").read_text(), re.M)
    assert "postgresql-client" in DOCKERFILE  # backup scripts run inside the image


def test_dockerignore_keeps_what_the_image_needs():
    patterns = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    needed = ["manage.py", "requirements.lock", "config/settings.py", "surveys/definitions/kgst-social-media-2013.yaml",
              "static/css/app.css", "templates/base.html", "scripts/backup.sh", "scripts/restore.sh",
              "scripts/pgenv.py", "scripts/backup_restore_check.py", "invitations/models.py"]
    for path in needed:
        assert (ROOT / path).exists(), path
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        assert not any(fnmatch.fnmatch(prefix, pattern) for pattern in patterns for prefix in prefixes), path
    assert ".env" in patterns and ".git" in patterns and ".venv" in patterns


def test_every_setting_and_compose_variable_is_documented():
    docs = (ROOT / "docs" / "operations.md").read_text()
    settings_src = (ROOT / "config" / "settings.py").read_text()
    names = set(re.findall(r"(?:os\.getenv|env(?:bool|int|float|list))\(\s*\"([A-Z_]+)\"", settings_src))
    names |= set(re.findall(r"\$\{([A-Z_]+)", (ROOT / "docker-compose.yml").read_text()))
    assert {"SECRET_KEY", "MAIL_RATE", "BEHIND_PROXY", "POSTGRES_PASSWORD"} <= names
    missing = sorted(name for name in names if f"`{name}`" not in docs)
    assert missing == []


@pytest.mark.django_db
@pytest.mark.slow
def test_web_health_check_command_works_against_gunicorn(settings):
    script = SERVICES["web"]["healthcheck"]["test"][3]
    assert "http://127.0.0.1:8000/health/" in script
    redis = settings.CELERY_BROKER_URL
    env = {"ALLOWED_HOSTS": ".umfrage.example.org", "SECURE_SSL_REDIRECT": "1", "BEHIND_PROXY": "1",
           "CELERY_BROKER_URL": redis, "REDIS_URL": redis}

    def run_check(base: str, env: dict[str, str]) -> int:
        probe = script.replace("http://127.0.0.1:8000", base)
        return subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, timeout=30).returncode

    with gunicorn({**env, "DATABASE_URL": db_url_of_test_run()}) as base:
        assert run_check(base, env) == 0
        assert run_check(base, {**env, "ALLOWED_HOSTS": "falsch.example.com"}) != 0  # 400: host not allowed
    dead = f"postgres://postgres@127.0.0.1:{free_port()}/weg"
    with gunicorn({**env, "DATABASE_URL": dead}) as base:
        assert run_check(base, env) != 0  # 503
