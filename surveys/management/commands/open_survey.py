"""python manage.py open_survey SLUG [--closes-on YYYY-MM-DD] — what the staff area's "Befragung öffnen" does."""

import datetime

from django.core.management.base import CommandError, CommandParser

from surveys.models import Survey

from ._transition import TransitionCommand, parse_date, today


class Command(TransitionCommand):
    help = ("Open a survey (draft or closed): personal links and access codes work and invitations can be sent. "
            "Reopening after the deadline needs a new one (--closes-on).")
    sources = (Survey.Status.DRAFT, Survey.Status.CLOSED)
    target = Survey.Status.OPEN
    verb = "opened"

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--closes-on", help="new last day of the field phase (YYYY-MM-DD)")

    def new_deadline(self, survey: Survey, options: dict) -> datetime.date | None:
        raw = options.get("closes_on")
        deadline = parse_date(raw) if raw else None
        if deadline and deadline < today():
            raise CommandError(f"--closes-on {deadline}: the new end of the field phase must not be in the past")
        if deadline and survey.opens_on and deadline < survey.opens_on:
            raise CommandError(f"--closes-on {deadline}: the field phase cannot end before it starts "
                               f"({survey.opens_on})")
        if deadline is None and survey.closes_on and survey.closes_on < today():
            raise CommandError(f"the field phase of {survey.slug} ended on {survey.closes_on}; give a new last day "
                               "with --closes-on YYYY-MM-DD")
        return deadline
