"""python manage.py send_invitations SLUG — queue the invitation mail for every member without one."""

from invitations.outbox.queueing import queue_invitations

from ._queue import QueueCommand


class Command(QueueCommand):
    help = "Queue invitation e-mails for every register member not yet invited (workers send them)."
    noun = "invitation"
    queue = staticmethod(queue_invitations)
