# Rücklauf production image. One image for every role (see docker-compose.yml):
#   web     gunicorn serving Django (the default command; gunicorn.conf.py refuses a misconfigured start)
#   worker  celery -A config worker
#   beat    celery -A config beat
#   migrate python manage.py migrate && load_survey (one-shot before the others start)
#
# Two stages: the builder installs the locked runtime dependencies into a virtualenv, compiles the
# translations (msgfmt from gettext) and collects the static files; the final image gets only the
# results, without gettext or any build tool. Build with a version tag:
#   docker compose build   (tags ruecklauf:$RUECKLAUF_VERSION)
#
# bookworm is Debian 12: its postgresql-client is version 15, the same major version as the
# postgres:15 service, so scripts/backup.sh and scripts/restore.sh run inside this image.

# --- builder ------------------------------------------------------------------------------------
FROM python:3.11-slim-bookworm AS builder

ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH \
    STATIC_ROOT=/app/staticfiles

RUN apt-get update \
 && apt-get install -y --no-install-recommends gettext \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first (cached layer): exactly the pinned runtime versions of the lock file
# (tests, benchmarks and tooling are in requirements-dev.lock and stay out of the image).
COPY requirements.lock ./
RUN python -m venv /opt/venv \
 && pip install -r requirements.lock

COPY . .

# The SECRET_KEY here only lets the settings import during the build; it is in no final
# environment (each RUN has its own) and the start-up checks refuse it (config/checks.py).
RUN SECRET_KEY=build-only-not-a-secret DEBUG=0 python manage.py compilemessages --ignore=.venv \
 && SECRET_KEY=build-only-not-a-secret DEBUG=0 python manage.py collectstatic --noinput \
 && find /app -name "*.po" -delete

# --- runtime ------------------------------------------------------------------------------------
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/data/media \
    WEB_CONCURRENCY=3

# postgresql-client: pg_dump/pg_restore/psql/createdb for the backup scripts; Pango: WeasyPrint's
# printable questionnaire PDF (messages are compiled in the builder stage).
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client libpango-1.0-0 libpangoft2-1.0-0 \
 && rm -rf /var/lib/apt/lists/*

# Unprivileged user; the uid can be matched to a host user for bind-mounted backup folders.
ARG APP_UID=1000
RUN groupadd --gid "${APP_UID}" app \
 && useradd --uid "${APP_UID}" --gid app --home-dir /home/app --create-home --shell /usr/sbin/nologin app

WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /app /app

# The media directory is created owned by "app" so the named volume mounted there inherits it.
RUN mkdir -p /data/media \
 && chown app:app /data/media

USER app
EXPOSE 8000

# gunicorn reads WEB_CONCURRENCY (number of worker processes) and GUNICORN_CMD_ARGS (extra
# options) from the environment. No access log: request lines hold the personal /s/<token>/ links.
CMD ["gunicorn", "config.wsgi:application", "--config", "gunicorn.conf.py", "--bind", "0.0.0.0:8000", \
     "--timeout", "60", "--max-requests", "2000", "--max-requests-jitter", "200", "--error-logfile", "-"]
