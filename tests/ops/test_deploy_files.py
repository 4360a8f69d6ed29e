"""The deployment files can't be run here (no Docker engine), so check them against the repository:
every service, dependency, volume, variable, command and path they name must exist and fit."""

import fnmatch
import re
import subprocess
import sys

import pytest
import yaml

from harness.serve import free_port
from tests.ops.conftest import ROOT, db_url_of_test_run, gunicorn

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


# -- the compose deployment, hardened ------------------------------------------------------------

ENV_EXAMPLE = (ROOT / ".env.example").read_text()
OPERATIONS = (ROOT / "docs" / "operations.md").read_text()


def test_db_health_check_asks_over_tcp_and_answers_like_the_real_server():
    """A socket-only check reports healthy while the image's init server still refuses TCP."""
    test = SERVICES["db"]["healthcheck"]["test"]
    assert test[0] == "CMD" and test[1] == "pg_isready"
    args = test[2:]
    assert args[args.index("-h") + 1] == "127.0.0.1" and args[args.index("-p") + 1] == "5432"
    # the same command against this machine's PostgreSQL (listening on 127.0.0.1:5432) …
    assert subprocess.run(test[1:], capture_output=True, timeout=30).returncode == 0
    # … and against a port where nothing listens: not healthy
    dead = [*args[: args.index("-p") + 1], str(free_port()), *args[args.index("-p") + 2:]]
    assert subprocess.run(["pg_isready", *dead], capture_output=True, timeout=30).returncode != 0


def test_app_connects_as_a_role_that_is_not_the_superuser():
    db_env = SERVICES["db"]["environment"]
    app_url = SERVICES["web"]["environment"]["DATABASE_URL"]
    app_user = re.match(r"postgres://([^:]+):", app_url).group(1)
    assert app_user == "ruecklauf" and db_env["POSTGRES_USER"] != app_user  # the image's superuser is another
    assert db_env["RUECKLAUF_DB_PASSWORD"] == "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}"
    assert "${POSTGRES_PASSWORD" in app_url
    assert "./scripts/db-init:/docker-entrypoint-initdb.d:ro" in SERVICES["db"]["volumes"]
    assert (ROOT / "scripts" / "db-init" / "10-app-role.sh").stat().st_mode & 0o111  # the image runs *.sh files


@pytest.mark.django_db
def test_db_init_script_creates_an_owner_without_superuser_rights():
    """Run the init script against the real PostgreSQL (with its own role and database names)."""
    import uuid

    import psycopg

    name = f"rl_init_{uuid.uuid4().hex[:8]}"
    env = {"PATH": "/usr/bin:/bin", "PGHOST": "127.0.0.1", "PGPORT": "5432", "POSTGRES_USER": "postgres",
           "RUECKLAUF_DB_PASSWORD": "Passwort0123", "RUECKLAUF_DB_USER": name, "RUECKLAUF_DB_NAME": name}
    script = ROOT / "scripts" / "db-init" / "10-app-role.sh"
    try:
        result = subprocess.run(["sh", str(script)], env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as admin:
            row = admin.execute("SELECT rolsuper, rolcreaterole, rolcreatedb, pg_get_userbyid(d.datdba) "
                                "FROM pg_roles r, pg_database d WHERE r.rolname = %s AND d.datname = %s",
                                [name, name]).fetchone()
        assert row == (False, False, True, name)
        with psycopg.connect(f"host=127.0.0.1 user={name} dbname={name}", autocommit=True) as app:
            app.execute("CREATE TABLE probe (id int)")  # migrate can build its tables
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                app.execute("COPY probe FROM PROGRAM 'id'")  # what an injection as superuser could do
        missing = subprocess.run(["sh", str(script)], env={**env, "RUECKLAUF_DB_PASSWORD": ""},
                                 capture_output=True, text=True, timeout=60)
        assert missing.returncode != 0 and "RUECKLAUF_DB_PASSWORD must be set" in missing.stderr
    finally:
        with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'DROP ROLE IF EXISTS "{name}"')


def _size_bytes(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)\s*([kmg]?)b?", str(value).lower()).groups()
    return int(number) * {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[unit]


def test_every_service_rotates_its_logs_and_db_has_shared_memory():
    for name, service in SERVICES.items():
        logging = service["logging"]
        assert logging["driver"] == "json-file", name
        assert _size_bytes(logging["options"]["max-size"]) <= 100 << 20 and int(logging["options"]["max-file"]) >= 2
        assert "no-new-privileges:true" in service["security_opt"], name
    assert _size_bytes(SERVICES["db"]["shm_size"]) >= 256 << 20


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_run_with_least_privilege_on_a_read_only_root(name):
    service = SERVICES[name]
    assert service["cap_drop"] == ["ALL"] and "cap_add" not in service
    assert service["read_only"] is True
    assert "/tmp" in service["tmpfs"]
    assert "privileged" not in service and service.get("user") in (None, "app")
    # the only places written: /tmp and the volumes (beat's schedule, worker and web's media)
    for volume in service.get("volumes", []):
        assert volume.split(":")[1].startswith(("/data/", "/backups")), volume


def test_app_image_has_a_version_tag_for_rollbacks():
    image = SERVICES["web"]["image"]
    assert image == "ruecklauf:${RUECKLAUF_VERSION:?set RUECKLAUF_VERSION in .env, e.g. 2026.12.1}"
    assert all(SERVICES[name]["image"] == image for name in APP_SERVICES)
    assert re.search(r"^RUECKLAUF_VERSION=\d{4}\.\d+\.\d+$", ENV_EXAMPLE, re.M)


def _stages() -> list[str]:
    return re.split(r"^(?=FROM )", DOCKERFILE, flags=re.M)[1:]


def test_dockerfile_builds_in_a_builder_stage_and_ships_only_the_results():
    builder, runtime = _stages()
    instructions = re.sub(r"#.*", "", DOCKERFILE)
    assert builder.startswith("FROM python:3.11-slim-bookworm AS builder")
    assert "gettext" in builder and "compilemessages" in builder and "collectstatic --noinput" in builder
    assert "pip install -r requirements.lock" in builder and "requirements-dev" not in instructions
    assert "gettext" not in re.sub(r"#.*", "", runtime)  # msgfmt only in the builder
    for dev in ("build-essential", "gcc", "-dev ", "pip install"):
        assert dev not in runtime, dev
    assert "COPY --from=builder /opt/venv /opt/venv" in runtime and "COPY --from=builder /app /app" in runtime
    assert re.search(r"^USER app$", runtime, re.M)
    cmd = yaml.safe_load(re.search(r"^CMD (\[.*?\])$", runtime, re.M | re.S).group(1).replace("\\\n", ""))
    assert cmd[cmd.index("--config") + 1] == "gunicorn.conf.py" and (ROOT / "gunicorn.conf.py").is_file()


def test_secrets_and_backups_stay_out_of_git_and_env_example_covers_every_required_variable():
    ignored = subprocess.run(["git", "check-ignore", "--no-index", ".env", ".env.production", "backups/db.dump",
                              "secrets/imap-ca.pem", ".env.example"], cwd=ROOT, capture_output=True,
                             text=True).stdout.split()
    assert ignored == [".env", ".env.production", "backups/db.dump", "secrets/imap-ca.pem"]
    required = set(re.findall(r"\$\{([A-Z_]+):\?", (ROOT / "docker-compose.yml").read_text()))
    assert {"SECRET_KEY", "TOKEN_SECRET", "POSTGRES_PASSWORD", "POSTGRES_SUPERUSER_PASSWORD", "RUECKLAUF_VERSION"} \
        <= required
    defined = set(re.findall(r"^([A-Z_]+)=", ENV_EXAMPLE, re.M))
    assert required <= defined, required - defined


def test_operations_doc_has_the_safe_commands():
    backup = [line for line in OPERATIONS.splitlines() if "scripts/backup.sh /backups" in line]
    check = [line for line in OPERATIONS.splitlines() if "python scripts/backup_restore_check.py" in line
             and "docker compose run" in line]
    restore = [line for line in OPERATIONS.splitlines() if "docker compose run" in line and "restore.sh" in line]
    assert backup and check
    for line in backup + check + restore:
        assert "--no-deps" in line, line  # without it every nightly backup re-runs migrate and load_survey
    assert "docker compose ps -a" in OPERATIONS
    upgrading = OPERATIONS.split("## Upgrading", 1)[1].split("\n## ", 1)[0]
    assert "docker compose pull" in upgrading and "RUECKLAUF_VERSION" in upgrading
