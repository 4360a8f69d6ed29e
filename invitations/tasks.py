"""The Celery tasks of the invitations app: thin entry points, named as beat and the broker know them.

The work is done elsewhere: sending in outbox/sending.py, the reminder plan in outbox/plan.py, the
bounce mailbox in bounces/imap.py. Nothing in the app imports this module except InvitationsConfig
(to register the tasks); outbox/enqueue.py addresses send_message by its name.
"""

from __future__ import annotations

import imaplib
import logging

from celery import shared_task
from celery.signals import worker_process_shutdown
from django.conf import settings
from django.db import DatabaseError

from .bounces import imap
from .outbox import mail, plan, sending

log = logging.getLogger(__name__)
BOUNCE_LOCK_NAMESPACE = 0x5242  # "RB": one bounce mailbox run at a time


@shared_task(bind=True, acks_late=True, ignore_result=True, max_retries=None)
def send_message(self, message_id: int) -> str:  # noqa: ANN001
    """Send one outbox message (at most once); back-off retries are new tasks with a countdown."""
    try:
        outcome = sending.process_message(message_id)
    except DatabaseError as exc:  # database briefly away: try again, the row is unchanged or "sending"
        raise self.retry(exc=exc, countdown=min(60, 5 * (self.request.retries + 1)))
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(acks_late=True, ignore_result=True)
def sweep_outbox(stale_seconds: float | None = None) -> int:
    """Beat: re-enqueue outbox rows whose task got lost (outbox.sending.sweep)."""
    return sending.sweep(stale_seconds)


@shared_task(ignore_result=True)
def process_bounces() -> dict[str, int]:
    """Beat: read the bounce mailbox (bounces/imap.py) unless BOUNCE_IMAP_HOST is empty.

    A run that finds the previous one still busy does nothing (advisory lock); an IMAP error is
    logged and the next run tries again (mails not yet moved are simply read again).
    """
    if not settings.BOUNCE_IMAP_HOST:
        return {}
    with sending.advisory_lock(1, namespace=BOUNCE_LOCK_NAMESPACE) as got:
        if not got:
            return {"busy": 1}
        try:
            summary = imap.process_mailbox()
        except (OSError, imaplib.IMAP4.error) as exc:
            log.warning("bounce mailbox %s: %s", settings.BOUNCE_IMAP_HOST, exc)
            return {"error": 1}
    if summary:
        log.info("bounce mailbox: %s", dict(summary))
    return dict(summary)


@shared_task(ignore_result=True)
def run_reminder_plan() -> int:
    """Beat: the reminder rounds the staff planned (outbox.plan.run_reminder_plan)."""
    return plan.run_reminder_plan()


@worker_process_shutdown.connect
def _close_smtp(**kwargs) -> None:  # noqa: ANN003
    mail.close_connection()
