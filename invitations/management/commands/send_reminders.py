"""python manage.py send_reminders SLUG — queue a reminder for everyone who has not submitted."""

from invitations.outbox.queueing import queue_reminders

from ._queue import QueueCommand


class Command(QueueCommand):
    help = ("Queue reminder e-mails for invited members who have not submitted and not opted out "
            "(a repeat within an hour tops up the same round instead of starting a new one).")
    noun = "reminder"
    queue = staticmethod(queue_reminders)
