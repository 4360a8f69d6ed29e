#!/bin/sh
# Runs once, when the postgres container initialises a new data volume (/docker-entrypoint-initdb.d):
# creates the role the app connects as — not a superuser, so an SQL injection could not reach
# `COPY … PROGRAM`, read server files or change other roles — and its database, owned by it.
# CREATEDB only so that scripts/backup_restore_check.py can restore into (and drop) a scratch database.
#
# Environment (set by docker-compose.yml): POSTGRES_USER (the superuser the image created),
# RUECKLAUF_DB_PASSWORD; optional RUECKLAUF_DB_USER / RUECKLAUF_DB_NAME (default ruecklauf).
set -eu
: "${RUECKLAUF_DB_PASSWORD:?RUECKLAUF_DB_PASSWORD must be set (POSTGRES_PASSWORD in .env)}"
app_user="${RUECKLAUF_DB_USER:-ruecklauf}"
app_db="${RUECKLAUF_DB_NAME:-ruecklauf}"

psql --no-psqlrc -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres \
  -v app_user="$app_user" -v app_db="$app_db" -v app_password="$RUECKLAUF_DB_PASSWORD" <<'SQL'
CREATE ROLE :"app_user" LOGIN NOSUPERUSER NOCREATEROLE CREATEDB NOREPLICATION NOBYPASSRLS
  PASSWORD :'app_password';
CREATE DATABASE :"app_db" OWNER :"app_user" ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE :"app_db" FROM PUBLIC;
GRANT ALL ON DATABASE :"app_db" TO :"app_user";
SQL
echo "db-init: role ${app_user} (no superuser) owns database ${app_db}"
