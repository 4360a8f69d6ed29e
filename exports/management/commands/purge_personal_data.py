"""python manage.py purge_personal_data SLUG [--older-than DAYS] [--dry-run]

Deletes the personal data of a closed survey once the retention period has passed and keeps
the anonymous result tables (see exports/privacy.py for exactly what is deleted and why).
"""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from exports.privacy import PurgeRefused, purge_survey, retention_days
from surveys.models import Survey


class Command(BaseCommand):
    help = (
        "Delete a closed survey's personal data (answers, e-mail addresses, outbox messages, personal links, "
        "export files) after the retention period, keeping anonymous result tables."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="survey slug, e.g. kgst-social-media-2013")
        parser.add_argument("--older-than", type=int, default=None, metavar="DAYS",
                            help=f"retention in days since the survey was closed (default RETENTION_DAYS, "
                                 f"now {retention_days()})")
        parser.add_argument("--dry-run", action="store_true", help="only report what would be deleted")

    def handle(self, *args: object, **options: object) -> None:
        slug = str(options["slug"])
        survey = Survey.objects.filter(slug=slug).first()
        if survey is None:
            known = ", ".join(Survey.objects.order_by("slug").values_list("slug", flat=True)) or "none"
            raise CommandError(f"Unknown survey slug {slug!r}. Known surveys: {known}.")
        older_than = options["older_than"]
        try:
            report = purge_survey(survey, older_than if older_than is None else int(older_than),
                                  dry_run=bool(options["dry_run"]))
        except PurgeRefused as exc:
            raise CommandError(f"{exc} Nothing was deleted.") from exc
        self.stdout.write(f"Survey {survey.slug}: closed before {report.cutoff:%Y-%m-%d}, retention has ended.")
        for line in report.lines():
            self.stdout.write(line)
