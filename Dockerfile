# Rücklauf production image. One image for every role (see docker-compose.yml):
#   web     gunicorn serving Django (the default command)
#   worker  celery -A config worker
#   beat    celery -A config beat
#   migrate python manage.py migrate && load_survey (one-shot before the others start)
#
# bookworm is Debian 12: its postgresql-client is version 15, the same major version as the
# postgres:15 service, so scripts/backup.sh and scripts/restore.sh run inside this image.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/data/media \
    WEB_CONCURRENCY=3

# postgresql-client: pg_dump/pg_restore/psql/createdb for the backup scripts;
# gettext: msgfmt for compilemessages at build time; Pango: WeasyPrint's printable questionnaire PDF.
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client gettext libpango-1.0-0 libpangoft2-1.0-0 \
 && rm -rf /var/lib/apt/lists/*

# Unprivileged user; the uid can be matched to a host user for bind-mounted backup folders.
ARG APP_UID=1000
RUN groupadd --gid "${APP_UID}" app \
 && useradd --uid "${APP_UID}" --gid app --home-dir /home/app --create-home --shell /usr/sbin/nologin app

WORKDIR /app

# Dependencies first (cached layer): exactly the pinned versions of the lock file.
COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY . .

# Static files and translations are built into the image. The SECRET_KEY here only lets the
# settings import during the build; it is not in the final environment (each RUN has its own).
# The media directory is created owned by "app" so the named volume mounted there inherits it.
RUN SECRET_KEY=build-only-not-a-secret DEBUG=0 python manage.py collectstatic --noinput \
 && SECRET_KEY=build-only-not-a-secret DEBUG=0 python manage.py compilemessages --ignore=.venv \
 && mkdir -p /data/media \
 && chown app:app /data/media

USER app
EXPOSE 8000

# gunicorn reads WEB_CONCURRENCY (number of worker processes) and GUNICORN_CMD_ARGS (extra
# options) from the environment. No access log: request lines hold the personal /s/<token>/ links.
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--timeout", "60", \
     "--max-requests", "2000", "--max-requests-jitter", "200", "--error-logfile", "-"]
