#!/usr/bin/env python3
"""Print `export PG...=...` lines (libpq environment) for a postgres:// URL.

Used by backup.sh and restore.sh so that the password never appears on a command line
(where `ps` would show it). Usage: eval "$(python3 scripts/pgenv.py "$DATABASE_URL")"
"""

import shlex
import sys
from urllib.parse import parse_qsl, unquote, urlsplit

SCHEMES = ("postgres", "postgresql", "pgsql")
QUERY_TO_ENV = {"sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "connect_timeout": "PGCONNECT_TIMEOUT"}


def pg_environment(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise ValueError("DATABASE_URL must be a PostgreSQL URL (postgres://user:password@host:port/name)")
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise ValueError("DATABASE_URL has no database name")
    env = {"PGDATABASE": name, "PGHOST": unquote(parts.hostname or "127.0.0.1"), "PGPORT": str(parts.port or 5432)}
    if parts.username:
        env["PGUSER"] = unquote(parts.username)
    if parts.password:
        env["PGPASSWORD"] = unquote(parts.password)
    for key, value in parse_qsl(parts.query):
        if key in QUERY_TO_ENV:
            env[QUERY_TO_ENV[key]] = value
    return env


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: pgenv.py POSTGRES_URL", file=sys.stderr)
        return 2
    try:
        env = pg_environment(sys.argv[1])
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for key, value in env.items():
        print(f"export {key}={shlex.quote(value)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
