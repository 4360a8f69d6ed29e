#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into a given PostgreSQL database.
#
# Usage: scripts/restore.sh [--create] [--clean] [--media DIR] BACKUP_DIR TARGET_DATABASE_URL
#   --create     create the target database first (needs the CREATEDB right)
#   --clean      the target may already hold tables: drop and recreate every object of
#                the backup, and (with --media) empty DIR before unpacking
#   --media DIR  also unpack the media files into DIR (e.g. the MEDIA_ROOT of the target)
#
# Without --clean a target that already has tables is refused, so a slip of the finger
# cannot overwrite a live database. The checksums are verified before anything is written.
# The restore runs in one transaction: it either completes or leaves the target unchanged.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
usage() { sed -n '4,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

create=0 clean=0 media_dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --create) create=1; shift ;;
    --clean) clean=1; shift ;;
    --media) [ $# -ge 2 ] || usage; media_dir="$2"; shift 2 ;;
    -h|--help) usage ;;
    --*) echo "error: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
[ $# -eq 2 ] || usage
backup="$1"
target_url="$2"

for tool in pg_restore psql createdb tar sha256sum python3; do
  command -v "$tool" >/dev/null || { echo "error: $tool not found (install postgresql-client)" >&2; exit 2; }
done
for file in db.dump media.tar.gz SHA256SUMS; do
  [ -f "$backup/$file" ] || { echo "error: $backup/$file missing - not a backup directory" >&2; exit 1; }
done
(cd "$backup" && sha256sum --quiet -c SHA256SUMS) || { echo "error: checksum mismatch in $backup" >&2; exit 1; }

if [ -n "$media_dir" ]; then
  mkdir -p "$media_dir"
  media_dir="$(cd "$media_dir" && pwd)"
  [ "$media_dir" != "/" ] || { echo "error: refusing to use / as media directory" >&2; exit 1; }
  if [ -n "$(ls -A "$media_dir")" ] && [ "$clean" != 1 ]; then
    echo "error: media directory $media_dir is not empty; use --clean to replace its files" >&2
    exit 1
  fi
fi

eval "$(python3 "$here/pgenv.py" "$target_url")"

if [ "$create" = 1 ]; then
  echo "creating database $PGDATABASE" >&2
  createdb --no-password --encoding=UTF8 --template=template0 -- "$PGDATABASE"
fi

tables="$(psql --no-password -XAtq -c "select count(*) from pg_tables where schemaname not in ('pg_catalog', 'information_schema')")"
clean_args=()
if [ "$tables" != "0" ]; then
  if [ "$clean" != 1 ]; then
    echo "error: database $PGDATABASE already has $tables tables; use --clean to replace them" >&2
    exit 1
  fi
  clean_args=(--clean --if-exists)
fi

echo "restoring $backup/db.dump into $PGDATABASE on $PGHOST:$PGPORT" >&2
pg_restore --no-password --no-owner --no-acl --exit-on-error --single-transaction "${clean_args[@]}" \
  --dbname="$PGDATABASE" "$backup/db.dump"
psql --no-password -XAtq -c "ANALYZE" >/dev/null

if [ -n "$media_dir" ]; then
  if [ "$clean" = 1 ]; then
    find "$media_dir" -mindepth 1 -delete
  fi
  echo "unpacking media into $media_dir" >&2
  tar -C "$media_dir" -xzf "$backup/media.tar.gz"
fi
echo "restore complete: $PGDATABASE" >&2
