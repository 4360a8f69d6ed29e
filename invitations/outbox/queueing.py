"""Queueing mail: invitations, reminder rounds, the personal link once more; what the commands and staff views call.

Every function that queues mail renders it right away into an OutboxMessage row (one per
invitation and step, guarded by a unique constraint) and has one send task per row enqueued
after the transaction commits (enqueue.py). If the broker is down at that moment the rows stay
"queued" and the periodic sweep (sending.sweep) enqueues them later: nothing is lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from surveys.models import Survey

from ..mailtext import texts
from ..mailtext.render import render_mail
from ..models import Invitation, Member, OutboxMessage
from . import enqueue
from .mail import new_message_id

# Within this time after the last reminder round, queue_reminders tops up that round
# instead of starting a new one: a double click never sends two reminders.
REMINDER_ROUND_INTERVAL = timedelta(minutes=getattr(settings, "REMINDER_ROUND_MINUTES", 60))


QUEUE_CHUNK = 200


class InvitationError(Exception):
    """The action is not possible (e.g. the survey is not open); the message is German for staff.

    `status` is the survey's status when that is the reason (the commands explain it in English).
    """

    def __init__(self, message: str, status: str = "") -> None:
        super().__init__(message)
        self.status = status


def refusal(survey: Survey) -> InvitationError | None:
    """Why no mail may go out for this survey now (None: it is open)."""
    if survey.status == Survey.Status.DRAFT:
        return InvitationError(_("Die Befragung ist noch nicht geöffnet (Entwurf); es wurden keine E-Mails "
                                 "verschickt. Die Links in den E-Mails würden nur „Noch nicht geöffnet“ zeigen. "
                                 "Öffnen Sie die Befragung zuerst („Befragung öffnen“) und versenden Sie dann."),
                               survey.status)
    if survey.status == Survey.Status.CLOSED:
        return InvitationError(_("Die Befragung ist geschlossen; es werden keine E-Mails mehr verschickt. Soll die "
                                 "Feldphase weitergehen, öffnen Sie sie zuerst wieder („Befragung wieder öffnen“)."),
                               survey.status)
    return None


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
    problems = texts.check_survey(survey)
    if problems:
        raise SendingRefused(
            _("Die E-Mail-Texte der Befragung sind nicht verwendbar: %(problems)s") % {"problems": " ".join(problems)},
            f"the e-mail texts of survey {survey.slug} are not usable: " + " ".join(problems),
        )


def _new_message(invitation: Invitation, step: str, kind: str, created_by: str, number: int = 0) -> OutboxMessage:
    mail = render_mail(invitation, kind, number)
    return OutboxMessage(
        invitation=invitation, step=step, to_email=invitation.member.delivery_email,
        subject=mail.subject, body_text=mail.body_text, body_html=mail.body_html,
        message_id=new_message_id(), created_by=created_by[:150],
    )


def _lock_survey(survey: Survey) -> Survey:
    locked = Survey.objects.select_for_update().get(pk=survey.pk)
    refused = refusal(locked)
    if refused:
        raise refused
    return locked


@dataclass(frozen=True)
class InvitationPlan:
    """What queue_invitations would do now: how many go out, and why the others do not."""

    will_send: int
    already_invited: int
    opted_out: int
    submitted: int
    bounced_without_fallback: int

    @property
    def not_sent(self) -> int:
        return self.already_invited + self.opted_out + self.submitted + self.bounced_without_fallback


def _submitted() -> Q:
    # responses imports invitations, never the reverse: Response's constant through the relation
    response = Invitation._meta.get_field("response").related_model
    return Q(response__status=response.Status.SUBMITTED)


def invitation_plan(survey: Survey) -> InvitationPlan:
    """Counts for the send page; each member is counted once, under the first reason that applies."""
    invitations = Invitation.objects.filter(survey=survey)
    invited = invitations.filter(messages__step="invitation")
    not_invited = invitations.exclude(pk__in=invited.values("pk"))
    opted_out = not_invited.filter(opted_out_at__isnull=False)
    submitted = not_invited.filter(opted_out_at__isnull=True).filter(_submitted())
    excluded_members = invitations.filter(Q(pk__in=invited.values("pk")) | Q(opted_out_at__isnull=False)
                                          | _submitted()).values("member_id")
    bounced = Member.objects.filter(email_bounced=True, fallback_email="").exclude(pk__in=excluded_members)
    counts = {"already_invited": invited.count(), "opted_out": opted_out.count(), "submitted": submitted.count(),
              "bounced_without_fallback": bounced.count()}
    return InvitationPlan(will_send=Member.objects.count() - sum(counts.values()), **counts)


def queue_invitations(survey: Survey, *, created_by: str = "", chunk: int = QUEUE_CHUNK) -> int:
    """Invite every register member: create missing Invitations and their "invitation" mail.

    Idempotent: a second run queues nothing for members who already have their invitation
    message (whatever its status). Opted-out or already submitted invitations and members whose
    address bounced without a fallback get no mail (invitation_plan counts them). Returns the
    number queued.
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
                .exclude(_submitted())  # e.g. answered through the access code of a letter
                .exclude(member__email_bounced=True, member__fallback_email="")
                .select_related("member", "survey")
                .order_by("pk")[:chunk]
            )
            messages = [_new_message(inv, "invitation", "invitation", created_by) for inv in pending]
            OutboxMessage.objects.bulk_create(messages)
            enqueue.send_after_commit([m.pk for m in messages])
        total += len(messages)
        if len(messages) < chunk:
            return total


_REMINDER_STEP = re.compile(r"^reminder-(\d+)$")


def latest_reminder_round(survey: Survey) -> tuple[int, datetime | None]:
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
        .not_submitted()
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
        latest, when = latest_reminder_round(survey)
        number = latest if when and timezone.now() - when < REMINDER_ROUND_INTERVAL else latest + 1
        step = f"reminder-{number}"
        candidates = reminder_candidates(survey).exclude(messages__step=step)
        messages = [_new_message(inv, step, "reminder", created_by, number) for inv in candidates]
        OutboxMessage.objects.bulk_create(messages, batch_size=500)
        enqueue.send_after_commit([m.pk for m in messages])
    return len(messages)


def resend_link(invitation: Invitation, *, created_by: str = "") -> OutboxMessage:
    """Send the personal link once more (step "resend-<n>"), e.g. after "I lost my link"."""
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().select_related("member", "survey").get(pk=invitation.pk)
        refused = refusal(invitation.survey)
        if refused:
            raise refused
        numbers = [int(s.rsplit("-", 1)[1]) for s in
                   invitation.messages.filter(step__regex=r"^resend-\d+$").values_list("step", flat=True)]
        number = max(numbers, default=0) + 1
        message = _new_message(invitation, f"resend-{number}", "resend", created_by, number)
        message.save()
        enqueue.send_after_commit([message.pk])
    return message


# --- one member ----------------------------------------------------------------------------

def messages_for_member(member: Member) -> QuerySet[OutboxMessage]:
    """Every message to this member, all surveys, oldest first."""
    return (
        OutboxMessage.objects.filter(invitation__member=member)
        .select_related("invitation__survey")
        .order_by("queued_at", "id")
    )
