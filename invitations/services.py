"""Invitations, reminders, resends and bounces: what the commands and the staff views call.

Every function that queues mail renders it right away into an OutboxMessage row (one per
invitation and step, guarded by a unique constraint) and enqueues one Celery task per row
after the transaction commits. If the broker is down at that moment the rows stay "queued"
and the periodic sweep (tasks.sweep_outbox) enqueues them later: nothing is lost.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from django.conf import settings
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from surveys.models import Survey

from . import mailtext
from .mail import new_message_id, render_mail
from .models import Invitation, Member, OutboxMessage

log = logging.getLogger(__name__)

# Within this time after the last reminder round, queue_reminders tops up that round
# instead of starting a new one: a double click never sends two reminders.
REMINDER_ROUND_INTERVAL = timedelta(minutes=getattr(settings, "REMINDER_ROUND_MINUTES", 60))


QUEUE_CHUNK = 200


class InvitationError(Exception):
    """The action is not possible (e.g. the survey is closed); the message is German for staff."""


class SendingRefused(InvitationError):
    """Invitations/reminders may not go out now (deadline passed, unusable e-mail text).

    `message` is German for staff, `reason` English for the command line.
    """

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def check_sendable(survey: Survey) -> None:
    """Refuse sending invitations or reminders while the deadline (closes_on) lies in the past —
    the mail would ask for answers by a day that is over — or while an own e-mail text is unusable."""
    deadline = survey.closes_on
    if deadline is not None and deadline < timezone.localdate():
        raise SendingRefused(
            _("Das Ende der Feldphase (%(date)s) liegt in der Vergangenheit; die E-Mails würden eine abgelaufene "
              "Frist nennen. Bitte verlängern Sie zuerst die Feldphase.") % {"date": deadline.strftime("%d.%m.%Y")},
            f"the deadline of survey {survey.slug} ({deadline.isoformat()}) is in the past; "
            "extend the field period (closes_on) first",
        )
    problems = mailtext.check_survey(survey)
    if problems:
        raise SendingRefused(
            _("Die E-Mail-Texte der Befragung sind nicht verwendbar: %(problems)s") % {"problems": " ".join(problems)},
            f"the e-mail texts of survey {survey.slug} are not usable: " + " ".join(problems),
        )


def _enqueue(ids: list[int]) -> None:
    """Enqueue one task per message once the transaction has committed."""
    if not ids:
        return

    def send() -> None:
        from .tasks import send_message

        for pk in ids:
            try:
                send_message.delay(pk)
            except Exception as exc:  # broker down: the sweep picks the rows up later
                log.warning("outbox: could not enqueue message %s (%s); the sweep will retry", pk, exc)
                return

    transaction.on_commit(send)


def _new_message(invitation: Invitation, step: str, kind: str, created_by: str, number: int = 0) -> OutboxMessage:
    mail = render_mail(invitation, kind, number)
    return OutboxMessage(
        invitation=invitation, step=step, to_email=invitation.member.delivery_email,
        subject=mail.subject, body_text=mail.body_text, body_html=mail.body_html,
        message_id=new_message_id(), created_by=created_by[:150],
    )


def _lock_survey(survey: Survey) -> Survey:
    locked = Survey.objects.select_for_update().get(pk=survey.pk)
    if locked.status == Survey.Status.CLOSED:
        raise InvitationError("Die Befragung ist geschlossen; es werden keine E-Mails mehr verschickt.")
    return locked


def queue_invitations(survey: Survey, *, created_by: str = "", chunk: int = QUEUE_CHUNK) -> int:
    """Invite every register member: create missing Invitations and their "invitation" mail.

    Idempotent: a second run queues nothing for members who already have their invitation
    message (whatever its status). Opted-out invitations get no mail. Returns the number queued.
    Messages are committed (and their tasks enqueued) in chunks, so workers start sending while
    the rest is still being rendered; an interrupted run is completed by running it again.
    """
    with transaction.atomic():
        survey = _lock_survey(survey)
        invited = Invitation.objects.filter(survey=survey).values("member_id")
        Invitation.objects.bulk_create(
            [Invitation(survey=survey, member=m) for m in Member.objects.exclude(pk__in=invited)],
            batch_size=1000,
        )
    total = 0
    while True:
        with transaction.atomic():
            survey = _lock_survey(survey)  # serialises concurrent runs chunk by chunk
            pending = (
                Invitation.objects.filter(survey=survey, opted_out_at__isnull=True)
                .exclude(messages__step="invitation")
                .select_related("member", "survey")
                .order_by("pk")[:chunk]
            )
            messages = [_new_message(inv, "invitation", "invitation", created_by) for inv in pending]
            OutboxMessage.objects.bulk_create(messages)
            _enqueue([m.pk for m in messages])
        total += len(messages)
        if len(messages) < chunk:
            return total


_REMINDER_STEP = re.compile(r"^reminder-(\d+)$")


def _latest_reminder_round(survey: Survey) -> tuple[int, datetime | None]:
    """(highest reminder round number, when that round was started) — (0, None) if none."""
    started: dict[int, datetime] = {}
    steps = OutboxMessage.objects.filter(invitation__survey=survey, step__startswith="reminder-")
    for step, queued_at in steps.values_list("step", "queued_at").iterator():
        match = _REMINDER_STEP.match(step)
        if match:
            number = int(match.group(1))
            started[number] = min(started.get(number, queued_at), queued_at)
    if not started:
        return 0, None
    latest = max(started)
    return latest, started[latest]


def reminder_candidates(survey: Survey) -> QuerySet[Invitation]:
    """Invited (invitation mail sent), not submitted, not opted out."""
    return (
        Invitation.objects.filter(survey=survey, opted_out_at__isnull=True,
                                  messages__step="invitation", messages__status=OutboxMessage.Status.SENT)
        .exclude(response__status="submitted")
        .select_related("member", "survey")
        .distinct()
    )


def queue_reminders(survey: Survey, *, created_by: str = "") -> int:
    """Queue reminder round n (step "reminder-<n>") for everyone who has not submitted.

    n is the next round number, unless the last round was started less than
    REMINDER_ROUND_INTERVAL ago: then that round is topped up (normally nothing new).
    """
    with transaction.atomic():
        survey = _lock_survey(survey)
        latest, when = _latest_reminder_round(survey)
        number = latest if when and timezone.now() - when < REMINDER_ROUND_INTERVAL else latest + 1
        step = f"reminder-{number}"
        candidates = reminder_candidates(survey).exclude(messages__step=step)
        messages = [_new_message(inv, step, "reminder", created_by, number) for inv in candidates]
        OutboxMessage.objects.bulk_create(messages, batch_size=500)
        _enqueue([m.pk for m in messages])
    return len(messages)


def resend_link(invitation: Invitation, *, created_by: str = "") -> OutboxMessage:
    """Send the personal link once more (step "resend-<n>"), e.g. after "I lost my link"."""
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().select_related("member", "survey").get(pk=invitation.pk)
        if invitation.survey.status == Survey.Status.CLOSED:
            raise InvitationError("Die Befragung ist geschlossen; es werden keine E-Mails mehr verschickt.")
        numbers = [int(s.rsplit("-", 1)[1]) for s in
                   invitation.messages.filter(step__regex=r"^resend-\d+$").values_list("step", flat=True)]
        number = max(numbers, default=0) + 1
        message = _new_message(invitation, f"resend-{number}", "resend", created_by, number)
        message.save()
        _enqueue([message.pk])
    return message


def mark_bounced(member: Member, fallback_email: str = "") -> None:
    """Staff report that mail to the member's address bounced, optionally with a fallback address.

    Sent messages to the bounced address are marked "bounced"; messages still waiting in the
    queue are redirected to the fallback address. Raises ValidationError for a bad fallback.
    """
    fallback_email = fallback_email.strip()
    if fallback_email:
        validate_email(fallback_email)
    with transaction.atomic():
        member = Member.objects.select_for_update().get(pk=member.pk)
        bad_address = member.email
        member.email_bounced = True
        member.fallback_email = fallback_email or member.fallback_email
        member.save(update_fields=["email_bounced", "fallback_email", "updated_at"])
        mine = OutboxMessage.objects.filter(invitation__member=member, to_email__iexact=bad_address)
        mine.filter(status=OutboxMessage.Status.SENT).update(status=OutboxMessage.Status.BOUNCED)
        if member.fallback_email:
            mine.filter(status=OutboxMessage.Status.QUEUED).update(to_email=member.fallback_email)


def messages_for_member(member: Member) -> QuerySet[OutboxMessage]:
    """Every message to this member, all surveys, oldest first."""
    return (
        OutboxMessage.objects.filter(invitation__member=member)
        .select_related("invitation__survey")
        .order_by("queued_at", "id")
    )
