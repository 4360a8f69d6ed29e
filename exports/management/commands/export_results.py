"""python manage.py export_results SLUG --out FILE.xlsx [--include-partial] [--publication]

Builds the same file as an ExportJob, synchronously, through the same code. The format follows the
file name's extension: every format in exports/formats/exporters/ names its own (.xlsx, .csv, .sav
for SPSS, .dta for Stata, .rds for R, .pdf for the results report).
--publication writes what may be published: aggregates only, every count below the survey's minimum base
suppressed (with secondary suppression); .xlsx and .pdf only (a per-response file cannot be published).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from exports.formats import registry
from surveys.models import Survey


def _either(extensions: list[str]) -> str:
    """".xlsx, .csv or .pdf": the extensions as a sentence."""
    return f"{', '.join(extensions[:-1])} or {extensions[-1]}" if len(extensions) > 1 else extensions[0]


class Command(BaseCommand):
    help = "Build the results export (Excel workbook, or CSV/SPSS by file extension) of a survey now."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="survey slug, e.g. kgst-social-media-2013")
        parser.add_argument("--out", required=True, help=f"output file ({_either(registry.extensions())})")
        parser.add_argument("--publication", action="store_true",
                            help="publication variant: tables only, small counts suppressed (.xlsx or .pdf)")
        parser.add_argument("--include-partial", action="store_true",
                            help="count responses that were started but not submitted")

    def handle(self, *args: object, **options: object) -> None:
        slug = str(options["slug"])
        out = Path(str(options["out"]))
        survey = Survey.objects.filter(slug=slug).first()
        if survey is None:
            known = ", ".join(Survey.objects.order_by("slug").values_list("slug", flat=True)) or "none"
            raise CommandError(f"Unknown survey slug {slug!r}. Known surveys: {known}.")
        if out.is_dir():
            raise CommandError(f"{out} is a directory; give a file name, e.g. {out / (slug + '.xlsx')}.")
        exporter = registry.for_filename(out)
        if exporter is None:
            raise CommandError(f"Cannot tell the format from {out.name!r}: "
                               f"use a {_either(registry.extensions())} file name.")
        if options["publication"] and not exporter.publishable:
            allowed = ", ".join(e.extensions[0] for e in registry.exporters().values() if e.publishable)
            raise CommandError(f"The publication variant holds no per-response data, only tables: use a "
                               f"{allowed} file name, not {out.suffix}.")
        partial_file = out.with_name(out.name + ".part")
        try:
            partial_file.parent.mkdir(parents=True, exist_ok=True)
            partial_file.touch()
        except OSError as exc:
            raise CommandError(f"Cannot write to {out}: {exc.strerror or exc}.") from exc
        try:
            count = registry.build_export(survey, exporter.identifier, partial_file, bool(options["include_partial"]),
                                          publication=bool(options["publication"]))
            partial_file.replace(out)
        except OSError as exc:
            partial_file.unlink(missing_ok=True)
            raise CommandError(f"Cannot write to {out}: {exc.strerror or exc}.") from exc
        except BaseException:
            partial_file.unlink(missing_ok=True)
            raise
        self.stdout.write(f"Wrote {out} ({count} responses, {out.stat().st_size:,} bytes).")
