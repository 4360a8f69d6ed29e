"""python manage.py send_reminders SLUG — queue a reminder for everyone who has not submitted."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from invitations.services import InvitationError, queue_reminders
from surveys.models import Survey


class Command(BaseCommand):
    help = ("Queue reminder e-mails for invited members who have not submitted and not opted out "
            "(a repeat within an hour tops up the same round instead of starting a new one).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")

    def handle(self, *args, slug: str, **options) -> None:  # noqa: ANN002, ANN003
        survey = Survey.objects.filter(slug=slug).first()
        if survey is None:
            raise CommandError(f"no survey with slug {slug!r}")
        try:
            count = queue_reminders(survey, created_by="manage.py send_reminders")
        except InvitationError as exc:
            raise CommandError(f"survey {slug} is closed; nothing queued") from exc
        self.stdout.write(f"queued {count} reminder(s) for {slug}")
