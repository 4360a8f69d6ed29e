"""python manage.py send_invitations SLUG — queue the invitation mail for every member without one."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from invitations.services import InvitationError, queue_invitations
from surveys.models import Survey


class Command(BaseCommand):
    help = "Queue invitation e-mails for every register member not yet invited (workers send them)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")

    def handle(self, *args, slug: str, **options) -> None:  # noqa: ANN002, ANN003
        survey = Survey.objects.filter(slug=slug).first()
        if survey is None:
            raise CommandError(f"no survey with slug {slug!r}")
        try:
            count = queue_invitations(survey, created_by="manage.py send_invitations")
        except InvitationError as exc:
            raise CommandError(f"survey {slug} is closed; nothing queued") from exc
        self.stdout.write(f"queued {count} invitation(s) for {slug}")
