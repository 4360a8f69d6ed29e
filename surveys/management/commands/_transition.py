"""Shared shape of open_survey and close_survey: the staff area's lifecycle buttons on the command line."""

import datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts import audit
from surveys.models import Survey


class TransitionCommand(BaseCommand):
    sources: tuple[str, ...]
    target: str
    verb: str

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")

    def new_deadline(self, survey: Survey, options: dict) -> datetime.date | None:
        return None

    def handle(self, *args, slug: str, **options) -> None:  # noqa: ANN002, ANN003
        survey = Survey.objects.filter(slug=slug).first()
        if survey is None:
            raise CommandError(f"no survey with slug {slug!r}")
        if survey.status == self.target:
            self.stdout.write(f"survey {slug} is already {survey.status}; nothing changed")
            return
        if survey.status not in self.sources:
            raise CommandError(f"survey {slug} is {survey.status}; it cannot be {self.verb} from there")
        deadline = self.new_deadline(survey, options)
        if not Survey.apply_transition(survey.pk, self.sources, self.target, deadline):
            raise CommandError(f"survey {slug} changed its status meanwhile; nothing done, please check it")
        survey.refresh_from_db()
        audit.record("survey_state_changed", survey=survey, target=survey.slug, via="command", status=survey.status,
                     closes_on=str(survey.closes_on or ""))
        until = f", field phase until {survey.closes_on:%Y-%m-%d}" if survey.closes_on else ""
        self.stdout.write(f"survey {slug} is now {survey.status}{until}")


def parse_date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--closes-on {value!r}: expected a date like 2026-12-31") from None


def today() -> datetime.date:
    return timezone.localdate()
