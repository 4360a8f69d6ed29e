#!/usr/bin/env python3
"""Prove that a backup can be restored: back up, restore into a NEW database, compare.

Usage: python scripts/backup_restore_check.py [--keep] [--backup-dir DIR]
Environment: DATABASE_URL (the source, postgres://...), MEDIA_ROOT (default <repo>/media).

1. Opens a repeatable-read transaction on the source and exports its snapshot, so the
   dump and the row counts see exactly the same data even while the app keeps writing.
2. Runs scripts/backup.sh with that snapshot.
3. Runs scripts/restore.sh --create into a new database `<source>_rc_<time>` on the same
   server and unpacks the media files into a temporary directory.
4. Compares the set of tables and the row count of every table, checks that every
   sequence of the restored database is past the largest id of its column (new rows will
   not collide), and compares the media files (names and SHA-256) with MEDIA_ROOT.
5. Drops the new database again (unless --keep) and prints a table of the results.

Exit status 0 when everything matches, 1 on any difference, 2 on usage/setup errors.
Needs psycopg (run it with the app's Python: `.venv/bin/python` or inside the container)
and the PostgreSQL client tools (pg_dump, pg_restore, psql, createdb).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

TABLES_SQL = """
    SELECT table_schema, table_name FROM information_schema.tables
    WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')
    ORDER BY 1, 2
"""
OWNED_SEQUENCES_SQL = """
    SELECT seqns.nspname, seq.relname, tabns.nspname, tab.relname, att.attname
    FROM pg_sequence s
    JOIN pg_class seq ON seq.oid = s.seqrelid
    JOIN pg_namespace seqns ON seqns.oid = seq.relnamespace
    JOIN pg_depend d ON d.objid = s.seqrelid AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
    JOIN pg_class tab ON tab.oid = d.refobjid
    JOIN pg_namespace tabns ON tabns.oid = tab.relnamespace
    JOIN pg_attribute att ON att.attrelid = tab.oid AND att.attnum = d.refobjsubid
    ORDER BY 1, 2
"""


def libpq_url(url: str) -> str:
    """dj-database-url accepts a few schemes libpq does not; normalise them."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        raise SystemExit("error: DATABASE_URL must be a PostgreSQL URL")
    return urlunsplit(parts._replace(scheme="postgresql"))


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def table_counts(conn: psycopg.Connection) -> dict[str, int]:
    """Exact row count of every user table, keyed by schema.table."""
    counts: dict[str, int] = {}
    for schema, table in conn.execute(TABLES_SQL).fetchall():
        query = sql.SQL("SELECT count(*) FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
        counts[f"{schema}.{table}"] = conn.execute(query).fetchone()[0]
    return counts


def sequence_problems(conn: psycopg.Connection) -> list[str]:
    """Sequences whose next value would collide with an existing id."""
    problems = []
    for seq_schema, seq, tab_schema, table, column in conn.execute(OWNED_SEQUENCES_SQL).fetchall():
        last_value, is_called = conn.execute(
            sql.SQL("SELECT last_value, is_called FROM {}.{}").format(sql.Identifier(seq_schema), sql.Identifier(seq))
        ).fetchone()
        largest = conn.execute(
            sql.SQL("SELECT max({}) FROM {}.{}").format(
                sql.Identifier(column), sql.Identifier(tab_schema), sql.Identifier(table))
        ).fetchone()[0]
        next_value = last_value + 1 if is_called else last_value
        if largest is not None and next_value <= largest:
            problems.append(f"{seq_schema}.{seq}: next value {next_value} <= max({table}.{column}) = {largest}")
    return problems


def _differences(source: dict, restored: dict, missing: str, extra: str, differs: str) -> list[str]:
    """Human-readable differences between two {name: value} maps; the messages are formats of name, a, b."""
    lines = []
    for name in sorted(set(source) | set(restored)):
        if name not in restored:
            lines.append(missing.format(name=name))
        elif name not in source:
            lines.append(extra.format(name=name))
        elif source[name] != restored[name]:
            lines.append(differs.format(name=name, a=source[name], b=restored[name]))
    return lines


def compare_counts(source: dict[str, int], restored: dict[str, int]) -> list[str]:
    """Empty when both have the same tables with the same counts."""
    return _differences(source, restored, "{name}: missing in the restored database",
                        "{name}: only in the restored database", "{name}: {a} rows in the source, {b} restored")


def file_digests(directory: Path) -> dict[str, str]:
    digests = {}
    if directory.is_dir():
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                digests[str(path.relative_to(directory))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def compare_media(source: dict[str, str], restored: dict[str, str]) -> list[str]:
    return _differences(source, restored, "media {name}: missing in the backup",
                        "media {name}: in the backup but no longer in MEDIA_ROOT", "media {name}: content differs")


def run(cmd: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        raise SystemExit(f"error: {Path(cmd[0]).name} failed with exit status {result.returncode}")
    return result.stdout


def drop_database(url: str, name: str) -> None:
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def check(source_url: str, media_root: Path, backup_parent: Path, keep: bool) -> int:
    env = dict(os.environ, MEDIA_ROOT=str(media_root))
    env.pop("BACKUP_SNAPSHOT", None)
    target_name = f"{database_name(source_url)[:40]}_rc_{time.strftime('%Y%m%d%H%M%S')}_{os.getpid()}"
    target_url = with_database(source_url, target_name)

    with psycopg.connect(source_url) as source:
        source.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        source.read_only = True
        snapshot = source.execute("SELECT pg_export_snapshot()").fetchone()[0]
        backup_out = run([str(HERE / "backup.sh"), str(backup_parent)], dict(env, BACKUP_SNAPSHOT=snapshot))
        source_counts = table_counts(source)
        source.rollback()
    media_digests = file_digests(media_root)
    backup_dir = Path(backup_out.strip().splitlines()[-1])

    created = False
    try:
        with tempfile.TemporaryDirectory(prefix="ruecklauf-rc-media-") as restored_media:
            created = True
            run([str(HERE / "restore.sh"), "--create", "--media", restored_media, str(backup_dir), target_url], env)
            restored_digests = file_digests(Path(restored_media))
        with psycopg.connect(target_url) as restored:
            restored_counts = table_counts(restored)
            problems = sequence_problems(restored)
    finally:
        if created and not keep:
            drop_database(source_url, target_name)

    problems = compare_counts(source_counts, restored_counts) + problems
    problems += compare_media(media_digests, restored_digests)
    report(source_counts, restored_counts, len(media_digests), backup_dir, target_name, keep)
    if problems:
        print("\nbackup/restore check FAILED:")
        for line in problems:
            print("  " + line)
        return 1
    rows = sum(source_counts.values())
    print(f"\nbackup/restore check passed: {len(source_counts)} tables, {rows} rows and "
          f"{len(media_digests)} media files identical after restore")
    return 0


def report(source: dict[str, int], restored: dict[str, int], media_files: int, backup: Path, target: str,
           keep: bool) -> None:
    width = max((len(name) for name in source | restored), default=10)
    print(f"backup: {backup}")
    print(f"restored into: {target}" + (" (kept)" if keep else " (dropped again)"))
    print(f"{'table':<{width}}  {'source':>9}  {'restored':>9}")
    for table in sorted(set(source) | set(restored)):
        mark = "" if source.get(table) == restored.get(table) else "  <-- differs"
        print(f"{table:<{width}}  {source.get(table, '-'):>9}  {restored.get(table, '-'):>9}{mark}")
    print(f"media files: {media_files}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the restored database for inspection")
    parser.add_argument("--backup-dir", type=Path, help="keep the backup in this directory (default: temporary)")
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL"):
        print("error: DATABASE_URL is not set", file=sys.stderr)
        return 2
    source_url = libpq_url(os.environ["DATABASE_URL"])
    media_root = Path(os.environ.get("MEDIA_ROOT") or ROOT / "media")
    if args.backup_dir:
        return check(source_url, media_root, args.backup_dir, args.keep)
    with tempfile.TemporaryDirectory(prefix="ruecklauf-rc-backup-") as backup_parent:
        return check(source_url, media_root, Path(backup_parent), args.keep)


if __name__ == "__main__":
    sys.exit(main())
