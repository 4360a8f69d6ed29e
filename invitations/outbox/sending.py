"""Sending one outbox message at most once, and the sweep that finds messages whose task got lost.

invitations.tasks holds the Celery tasks that call process_message and sweep.

Exactly once — why a member never gets the same message twice
---------------------------------------------------------------
SMTP acceptance and our database cannot be updated atomically, so the design makes the one
unavoidable gap as small as possible and resolves it towards "not again":

1. Liveness: a task first takes a PostgreSQL *session* advisory lock on the message id and
   holds it until it is done. The lock lives in the worker's database session, so it
   vanishes the moment that process dies (SIGKILL, OOM, machine gone). A second task for
   the same message (redelivery after a crash, a retry plus a sweep, a duplicate enqueue)
   that cannot get the lock knows a live process is working on it and does nothing.
2. Claim: with the advisory lock held, the row is locked (SELECT … FOR UPDATE) and moved
   queued → sending (attempts + 1) in a committed transaction. Finished rows (sent, failed,
   bounced) are left alone, so a redelivered task is a no-op.
3. Hand-off marker: MAIL, RCPT and DATA are sent, then the body — but not the final ".".
   Now `handed_off_at` is committed, and only then the "." goes out and the reply is read.
   A server must discard a transaction whose connection ends before the "." (RFC 5321 §3.8).
4. A task that holds the advisory lock and finds a row in "sending" knows the previous
   sender died (else it would hold the lock). Then:
   - `handed_off_at` empty → the server never had a complete message → send it (safe);
   - `handed_off_at` set → the server may have accepted it → never resend; the row becomes
     "sent" with the note "unconfirmed" (and the Message-ID lets a postmaster check the log).
   The same rule covers a connection that breaks after the hand-off while the worker lives.

What remains: a process killed in the microseconds between committing `handed_off_at` and
writing ".\\r\\n" to the socket loses that one message (marked "sent, unconfirmed"; staff can
resend the link). Any other ordering would risk a duplicate instead, which the project rules out.

Temporary failures (4xx, connection refused/lost before the hand-off) put the row back to
"queued" with `next_attempt_at` and retry with exponential back-off; permanent ones (5xx)
end as "failed" with the server's reply. On SQLite (development, tasks run in-process) there
are no advisory locks; a "sending" row is then only taken over once it is older than
OUTBOX_STALE_SECONDS.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from ..models import Invitation, OutboxMessage
from . import enqueue, mail, throttle

log = logging.getLogger(__name__)
Status = OutboxMessage.Status
LOCK_NAMESPACE = 0x524C  # "RL": first key of pg_try_advisory_lock(int, int)


@dataclass(frozen=True)
class Outcome:
    status: str  # what happened, for logs and tests
    retry_in: float | None = None


@contextlib.contextmanager
def advisory_lock(pk: int, namespace: int = LOCK_NAMESPACE) -> Iterator[bool]:
    """A PostgreSQL session advisory lock on (namespace, pk), if free: yields whether it was got."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s::int, %s::int)", [namespace, pk])
        got = cursor.fetchone()[0]
    try:
        yield got
    finally:
        if got:
            with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s::int, %s::int)", [namespace, pk])


def _relaxed_commit() -> None:
    """Inside a transaction: do not wait for the WAL flush at COMMIT (about 4 ms per commit).

    Safe for the claim and the final status, never for the hand-off marker: if PostgreSQL
    itself crashed and lost a relaxed commit, the row falls back to an earlier state that the
    rules above resolve without a duplicate (claim lost → nothing was handed off yet; final
    status lost → "sending" with hand-off → presumed sent). The hand-off commit is durable and
    flushes every earlier commit with it.
    """
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _update(pk: int, **fields: object) -> None:
    with transaction.atomic():
        _relaxed_commit()
        OutboxMessage.objects.filter(pk=pk).update(**fields)


def _finish(pk: int, status: str, error: str = "", sent_at=None) -> None:  # noqa: ANN001
    _update(pk, status=status, error=error[:2000], sent_at=sent_at, next_attempt_at=None)


def _skip_reason(message: OutboxMessage) -> str:
    """Reminders are not sent to people who opted out or submitted since they were queued."""
    if not message.step.startswith("reminder-"):
        return ""
    invitation = message.invitation
    if invitation.opted_out_at:
        return "not sent: the member opted out of reminders"
    if Invitation.objects.filter(pk=invitation.pk).submitted().exists():
        return "not sent: the response was submitted before the reminder went out"
    return ""


_MESSAGE_FIELDS = ("id", "invitation_id", "step", "to_email", "subject", "body_text", "body_html", "status",
                   "attempts", "sending_since", "handed_off_at", "next_attempt_at", "message_id")


def _claim(pk: int) -> tuple[OutboxMessage | None, Outcome | None]:
    """Lock the row and move it to "sending"; or say why there is nothing to send."""
    now = timezone.now()
    with transaction.atomic():
        _relaxed_commit()
        # Only what sending needs: no member or survey row (the survey's definition JSON is big).
        message = (OutboxMessage.objects.select_for_update(of=("self",)).select_related("invitation")
                   .only(*_MESSAGE_FIELDS, "invitation__token_encrypted", "invitation__access_code_encrypted",
                         "invitation__opted_out_at").filter(pk=pk).first())
        if message is None:
            return None, Outcome("gone")
        if message.status in (Status.SENT, Status.FAILED, Status.BOUNCED):
            return None, Outcome("done")
        if message.status == Status.SENDING:
            # We hold the advisory lock, so whoever set "sending" is dead.
            if message.handed_off_at:
                _finish(pk, Status.SENT, "unconfirmed: the worker stopped after handing the message to the "
                        "server; not resent to avoid a duplicate", sent_at=message.handed_off_at)
                return None, Outcome("presumed-sent")
            log.warning("outbox %s: previous attempt died before the hand-off; sending again", pk)
        elif message.next_attempt_at and message.next_attempt_at > now + timedelta(seconds=2):
            return None, Outcome("not-due")
        reason = _skip_reason(message)
        if reason:
            _finish(pk, Status.FAILED, reason)
            return None, Outcome("skipped")
        message.status = Status.SENDING
        message.attempts += 1
        message.sending_since = now
        message.handed_off_at = None
        message.next_attempt_at = None
        message.save(update_fields=["status", "attempts", "sending_since", "handed_off_at", "next_attempt_at"])
    return message, None


def _retry_delay(attempts: int) -> float:
    return settings.MAIL_RETRY_BASE_SECONDS * (2 ** max(0, attempts - 1))


def _build(message: OutboxMessage) -> tuple[EmailMultiAlternatives, bytes]:
    """The e-mail, built and checked as it will go out; a mail that cannot be built fails for good.

    A line break in a stored sender name or subject (entered before the forms refused them) makes
    Django refuse the header: that is this message's failure, shown with its reason in the outbox,
    not an error of the worker that would leave the row "sending" and be retried forever.
    """
    try:
        email = mail.build_email(message)
        wire = mail.wire_bytes(email)  # builds the headers: BadHeaderError and encoding errors surface here
    except DatabaseError:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever the stored texts hold, the worker goes on
        log.warning("outbox %s: the e-mail cannot be built: %s", message.pk, exc)
        raise mail.SMTPPermanentError(f"Die E-Mail ließ sich nicht erstellen ({exc}); bitte Absendername, "
                                      "Betreff und Texte der Befragung prüfen.") from exc
    return email, wire


def _transmit(message: OutboxMessage) -> None:
    email, wire = _build(message)

    def handed_off() -> None:  # autocommit, durable (synchronous) commit before the final "." is sent
        OutboxMessage.objects.filter(pk=message.pk).update(handed_off_at=timezone.now())

    if not settings.EMAIL_HOST:  # development / tests without SMTP: Django's configured backend
        handed_off()
        get_connection().send_messages([email])
        return
    mail.deliver(mail.envelope_sender(message), message.to_email, wire, handed_off)


def process_message(pk: int) -> Outcome:
    """Send one outbox message at most once (see the module docstring)."""
    with advisory_lock(pk) as got:
        if not got:
            return Outcome("busy")
        message, outcome = _claim(pk)
        if outcome:
            return outcome
        throttle.wait_for_slot(message.to_email)
        try:
            _transmit(message)
        except mail.SMTPTemporaryError as exc:
            if message.attempts >= settings.MAIL_MAX_ATTEMPTS:
                _finish(pk, Status.FAILED, f"gave up after {message.attempts} attempts: {exc}")
                return Outcome("failed")
            delay = _retry_delay(message.attempts)
            _update(pk, status=Status.QUEUED, error=str(exc)[:2000], handed_off_at=None,
                    next_attempt_at=timezone.now() + timedelta(seconds=delay))
            return Outcome("retry", retry_in=delay)
        except mail.SMTPPermanentError as exc:
            _finish(pk, Status.FAILED, str(exc))
            return Outcome("failed")
        except mail.SMTPUnconfirmed as exc:
            _finish(pk, Status.SENT, f"unconfirmed: {exc}; not resent to avoid a duplicate", sent_at=timezone.now())
            return Outcome("presumed-sent")
        _finish(pk, Status.SENT, sent_at=timezone.now())
        return Outcome("sent")


def sweep(stale_seconds: float | None = None) -> int:
    """Re-enqueue outbox rows whose task got lost; returns how many were enqueued.

    - "queued" rows due for a while (creation or back-off time older than `stale_seconds`),
      but only when the broker queue is empty: while a backlog drains, their tasks are in it.
    - "sending" rows older than `stale_seconds` (at least 30 s): the task decides with the
      advisory lock whether the sender is alive, resent or resolved as "sent, unconfirmed".
    """
    stale = settings.OUTBOX_STALE_SECONDS if stale_seconds is None else stale_seconds
    now = timezone.now()
    cutoff = now - timedelta(seconds=stale)
    ids: list[int] = []
    backlog = enqueue.broker_backlog()
    if backlog == 0 or backlog is None:  # None: broker unreachable, the enqueue below will say so
        due = Q(next_attempt_at__isnull=True, queued_at__lte=cutoff) | Q(next_attempt_at__lte=cutoff)
        ids += OutboxMessage.objects.filter(due, status=Status.QUEUED).values_list("pk", flat=True)[:10_000]
    sending_cutoff = now - timedelta(seconds=stale if stale_seconds is not None else max(stale, 30))
    ids += OutboxMessage.objects.filter(status=Status.SENDING, sending_since__lte=sending_cutoff) \
        .values_list("pk", flat=True)[:10_000]
    enqueued = enqueue.send_now(ids)
    if enqueued:
        log.info("outbox sweep: re-enqueued %s message(s)", enqueued)
    return enqueued
