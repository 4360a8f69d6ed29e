"""python manage.py close_survey SLUG — what the staff area's "Befragung schließen" does."""

from surveys.models import Survey

from ._transition import TransitionCommand


class Command(TransitionCommand):
    help = "Close an open survey: no more answers, no more reminders; submitted answers are kept."
    sources = (Survey.Status.OPEN,)
    target = Survey.Status.CLOSED
    verb = "closed"
