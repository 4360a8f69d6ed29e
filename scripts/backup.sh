#!/usr/bin/env bash
# Back up Rücklauf: the database (pg_dump, custom format) and the media files (tar).
#
# Usage: scripts/backup.sh [OUTPUT_DIR]          (default: ./backups)
# Environment:
#   DATABASE_URL     postgres://user:password@host:port/name (required)
#   MEDIA_ROOT       directory of uploaded/exported files (default: <repo>/media)
#   BACKUP_SNAPSHOT  optional exported snapshot id (pg_export_snapshot()) to dump
#
# Creates OUTPUT_DIR/ruecklauf-<UTC time>/ with db.dump, media.tar.gz, MANIFEST and
# SHA256SUMS, and prints that directory as the last line. The backup is written to a
# ".partial" directory first and renamed only when complete. Files are private (umask 077):
# the dump holds personal data (member register, answers).
set -euo pipefail
umask 077

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
out_dir="${1:-$root/backups}"
media_root="${MEDIA_ROOT:-$root/media}"

if [ -z "${DATABASE_URL:-}" ]; then
  echo "error: DATABASE_URL is not set" >&2
  exit 2
fi
for tool in pg_dump tar sha256sum python3; do
  command -v "$tool" >/dev/null || { echo "error: $tool not found (install postgresql-client)" >&2; exit 2; }
done
eval "$(python3 "$here/pgenv.py" "$DATABASE_URL")"

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
name="ruecklauf-$stamp"
mkdir -p "$out_dir"
partial="$out_dir/$name.partial"
final="$out_dir/$name"
if [ -e "$final" ] || [ -e "$partial" ]; then
  echo "error: $final already exists" >&2
  exit 1
fi
mkdir "$partial"
trap 'rm -rf "$partial"' EXIT

snapshot_args=()
if [ -n "${BACKUP_SNAPSHOT:-}" ]; then
  snapshot_args=(--snapshot="$BACKUP_SNAPSHOT")
fi
echo "dumping database $PGDATABASE on $PGHOST:$PGPORT" >&2
pg_dump --format=custom --compress=6 --no-password "${snapshot_args[@]}" --file="$partial/db.dump"

if [ -d "$media_root" ]; then
  echo "archiving media from $media_root" >&2
  tar -C "$media_root" -czf "$partial/media.tar.gz" .
else
  echo "no media directory at $media_root; writing an empty archive" >&2
  tar -czf "$partial/media.tar.gz" -T /dev/null
fi

{
  echo "created_utc=$stamp"
  echo "database=$PGDATABASE"
  echo "pg_dump=$(pg_dump --version)"
  echo "media_root=$media_root"
  echo "media_files=$(tar -tzf "$partial/media.tar.gz" | grep -cv '/$' || true)"
} > "$partial/MANIFEST"
(cd "$partial" && sha256sum db.dump media.tar.gz MANIFEST > SHA256SUMS)

mv "$partial" "$final"
trap - EXIT
echo "backup written: $final" >&2
echo "$final"
