"""The one place the invitations app hands work to Celery: one send task per outbox message.

Tasks are addressed by name, so that the modules that queue mail never import invitations.tasks
(which imports them); InvitationsConfig.ready registers the tasks in every process, so in-process
"eager" runs (tests, a broker-less development setup) find them. A message whose task cannot be
enqueued (broker down) stays "queued": the sweep enqueues it later, nothing is lost.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from celery import current_app
from django.db import transaction

log = logging.getLogger(__name__)
SEND_MESSAGE = "invitations.tasks.send_message"


def send_now(ids: Iterable[int]) -> int:
    """Enqueue a send task for each outbox message; stops at the first broker error. Returns how many went."""
    task = current_app.tasks[SEND_MESSAGE]
    sent = 0
    for pk in ids:
        try:
            task.delay(pk)
        except Exception as exc:  # broker down: the sweep picks the rows up later
            log.warning("outbox: could not enqueue message %s (%s); the sweep will retry", pk, exc)
            break
        sent += 1
    return sent


def send_after_commit(ids: list[int]) -> None:
    """send_now once the current transaction has committed (a task must find its row)."""
    if ids:
        transaction.on_commit(lambda: send_now(ids))


def broker_backlog() -> int | None:
    """Messages waiting in the default queue, or None if that cannot be told."""
    try:
        with current_app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1)
            queue = current_app.conf.task_default_queue or "celery"
            return conn.default_channel.queue_declare(queue=queue, passive=True).message_count
    except Exception:  # broker down or a transport without counts
        return None
