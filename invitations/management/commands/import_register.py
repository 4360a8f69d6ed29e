"""python manage.py import_register FILE [--dry-run] [--skip-invalid]"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from invitations.register.apply import apply_register
from invitations.register.check import check_register


class Command(BaseCommand):
    help = "Import the member register from CSV (';' or ',', UTF-8) or XLSX; updates members by ags."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
        parser.add_argument("--skip-invalid", action="store_true", help="import the valid rows, skip the others")

    def handle(self, *args, file: str, dry_run: bool, skip_invalid: bool, **options) -> None:  # noqa: ANN002, ANN003
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file")
        data = path.read_bytes()
        if len(data) > settings.REGISTER_UPLOAD_MAX_BYTES * 10:
            raise CommandError(f"{file}: file is too large ({len(data)} bytes)")
        check = check_register(data, path.name)
        for problem in check.problems:
            self.stderr.write(str(problem))
        if check.has_fatal:
            raise CommandError(f"{file}: cannot be imported; nothing was stored")
        summary = (f"{check.total_rows} row(s): {check.new_count} new, {check.update_count} existing, "
                   f"{check.invalid_count} invalid")
        if check.problems and not skip_invalid:
            self.stderr.write(summary)
            raise CommandError(
                f"{len(check.problems)} problem(s) found; nothing was stored (use --skip-invalid to import "
                "the valid rows only)")
        if dry_run:
            self.stdout.write(f"dry run, nothing stored. {summary}")
            self.stdout.write(f"would create {check.new_count} and update {check.update_count} member(s)"
                              + (f", skip {check.invalid_count} invalid row(s)" if check.invalid_count else ""))
            return
        result = apply_register(check, skip_invalid=skip_invalid)
        self.stdout.write(
            f"created {result.created}, updated {result.updated}, unchanged {result.unchanged}, "
            f"skipped {result.skipped}")
