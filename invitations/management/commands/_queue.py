"""Shared shape of send_invitations and send_reminders: look up the survey, queue, report."""

from collections.abc import Callable

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import audit
from invitations.outbox.queueing import InvitationError, SendingRefused, check_sendable
from surveys.models import Survey


class QueueCommand(BaseCommand):
    noun = "message"
    # The service function that queues the messages: staticmethod(queue_invitations) etc.
    queue: Callable[..., int]

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")

    def handle(self, *args, slug: str, **options) -> None:  # noqa: ANN002, ANN003
        survey = Survey.objects.filter(slug=slug).first()
        if survey is None:
            raise CommandError(f"no survey with slug {slug!r}")
        try:
            check_sendable(survey)
        except SendingRefused as exc:
            raise CommandError(f"{exc.reason}; nothing queued") from exc
        try:
            count = self.queue(survey, created_by=f"manage.py {self.command_name}")
        except InvitationError as exc:
            if exc.status == Survey.Status.DRAFT:
                raise CommandError(f"survey {slug} is still a draft, so nothing was queued (its links would only "
                                   f"say 'not open yet'). Open it first: python manage.py open_survey {slug}") from exc
            if exc.status == Survey.Status.CLOSED:
                raise CommandError(f"survey {slug} is closed; nothing queued. To continue the field phase, reopen "
                                   f"it first: python manage.py open_survey {slug} --closes-on YYYY-MM-DD") from exc
            raise CommandError(f"nothing queued for {slug}: {exc}") from exc
        audit.record("invitations_sent" if self.noun == "invitation" else "reminders_sent", survey=survey,
                     target=survey.slug, queued=count, via="command")
        self.stdout.write(f"queued {count} {self.noun}(s) for {slug}")

    @property
    def command_name(self) -> str:
        return self.__module__.rsplit(".", 1)[-1]

