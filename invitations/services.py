"""Invitations, reminders, resends and bounces: what the commands and the staff views call.

Every function that queues mail renders it right away into an OutboxMessage row (one per
invitation and step, guarded by a unique constraint) and enqueues one Celery task per row
after the transaction commits. If the broker is down at that moment the rows stay "queued"
and the periodic sweep (tasks.sweep_outbox) enqueues them later: nothing is lost.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import F, Min, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from surveys.models import Survey

from . import mailtext
from .mail import new_message_id, render_mail
from .models import Invitation, Member, OutboxMessage, ReminderPlanStep

log = logging.getLogger(__name__)

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
        latest, when = _latest_reminder_round(survey)
        number = latest if when and timezone.now() - when < REMINDER_ROUND_INTERVAL else latest + 1
        step = f"reminder-{number}"
        candidates = reminder_candidates(survey).exclude(messages__step=step)
        messages = [_new_message(inv, step, "reminder", created_by, number) for inv in candidates]
        OutboxMessage.objects.bulk_create(messages, batch_size=500)
        _enqueue([m.pk for m in messages])
    return len(messages)


# --- reminder plan ----------------------------------------------------------------------

def invited_on(survey: Survey) -> date | None:
    """The local day the first invitation of this survey was queued (None: nobody invited yet)."""
    invitations = OutboxMessage.objects.filter(invitation__survey=survey, step="invitation")
    first = invitations.aggregate(t=Min("queued_at"))["t"]
    return timezone.localdate(first) if first else None


def reminder_plan(survey: Survey) -> list[tuple[ReminderPlanStep, date | None]]:
    """The plan's steps with the day each is (or was) due, earliest first."""
    start = invited_on(survey)
    steps = [(step, step.due_on(start)) for step in survey.reminder_plan.all()]
    return sorted(steps, key=lambda item: (item[1] is None, item[1] or date.max, item[0].pk))


def set_reminder_plan(survey: Survey, entries: list[int | date]) -> None:
    """Replace the steps that have not run yet (the ones that ran stay, with what they sent)."""
    with transaction.atomic():
        ReminderPlanStep.objects.select_for_update().filter(survey=survey, queued_at__isnull=True).delete()
        ReminderPlanStep.objects.bulk_create([
            ReminderPlanStep(survey=survey, on_date=e) if isinstance(e, date) else
            ReminderPlanStep(survey=survey, days_after_invitation=e) for e in entries])


def run_reminder_plan(today: date | None = None) -> int:
    """Beat: queue each due reminder round of an open survey once; returns the reminders queued.

    At most one step per survey and run, and not while that survey's last round is younger than
    REMINDER_ROUND_INTERVAL (queue_reminders would top that round up instead of starting a new one).
    """
    today = today or timezone.localdate()
    total = 0
    for survey in Survey.objects.filter(status=Survey.Status.OPEN, reminder_plan__queued_at__isnull=True).distinct():
        due = [step for step, day in reminder_plan(survey) if step.queued_at is None and day and day <= today]
        if not due or invited_on(survey) is None:  # a reminder before any invitation would reach no one
            continue
        _latest, when = _latest_reminder_round(survey)
        if when and timezone.now() - when < REMINDER_ROUND_INTERVAL:
            continue
        with transaction.atomic():
            step = ReminderPlanStep.objects.select_for_update(skip_locked=True).filter(
                pk=due[0].pk, queued_at__isnull=True).first()
            if step is None:  # another beat run has it
                continue
            try:
                count = queue_reminders(survey, created_by="reminder plan")
            except InvitationError as exc:
                log.info("reminder plan %s: %s", survey.slug, exc)
                continue
            latest, _when = _latest_reminder_round(survey)
            step.queued_at, step.queued_count, step.round_step = timezone.now(), count, f"reminder-{latest}"
            step.save(update_fields=["queued_at", "queued_count", "round_step"])
        log.info("reminder plan %s: queued %s reminder(s) (%s)", survey.slug, count, step.round_step)
        total += count
    return total


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
        _enqueue([message.pk])
    return message


def mark_bounced(member: Member, fallback_email: str = "", reason: str = "") -> None:
    """Mail to the member's address bounced (reported by staff or the bounce mailbox).

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
        member.bounced_at = member.bounced_at or timezone.now()
        member.bounce_reason = (reason or member.bounce_reason)[:500]  # empty: reported by staff
        member.save(update_fields=["email_bounced", "fallback_email", "bounced_at", "bounce_reason", "updated_at"])
        mine = OutboxMessage.objects.filter(invitation__member=member, to_email__iexact=bad_address)
        mine.filter(status=OutboxMessage.Status.SENT).update(status=OutboxMessage.Status.BOUNCED)
        if member.fallback_email:
            mine.filter(status=OutboxMessage.Status.QUEUED).update(to_email=member.fallback_email)


@dataclass
class BounceBatch:
    """What the bounce mailbox found in one batch of mails, by outbox message id."""

    hard: dict[int, str] = field(default_factory=dict)  # id → reason
    soft: dict[int, str] = field(default_factory=dict)
    unsubscribe: set[int] = field(default_factory=set)


BOUNCE_FIELDS = ("status", "error", "next_attempt_at", "soft_bounces", "handed_off_at", "sent_at", "to_email",
                 *(f"invitation__member__{name}" for name in ("email", "fallback_email", "email_bounced",
                                                              "bounced_at", "bounce_reason", "updated_at")))


def record_bounces(batch: BounceBatch) -> Counter:
    """Apply one batch of bounce results in one transaction, with a few queries per batch.

    - hard: the message becomes "bounced" with the reason; if it went to the member's main address,
      that address is marked bounced (so the next message goes to the fallback address, if any),
      like `mark_bounced`.
    - soft (mailbox full, greylisting given up): a "sent" message is queued again for
      BOUNCE_SOFT_RETRY_HOURS later (the outbox sweep sends it; the server did not deliver it, so
      this is no duplicate); after BOUNCE_SOFT_MAX soft bounces it counts as bounced, the address
      is kept.
    - unsubscribe: the invitation opts out, as on the web page.
    Repeating a batch changes nothing (bounced stays bounced; a queued message ignores soft bounces).
    """
    done: Counter = Counter()
    Status = OutboxMessage.Status
    now = timezone.now()
    with transaction.atomic():
        pks = set(batch.hard) | set(batch.soft)
        # The members are locked in the same statement: _mark_addresses_bounced changes them. Only
        # the columns read or written here: the mail bodies stay in the database.
        messages = {m.pk: m for m in OutboxMessage.objects.select_for_update(of=("self", "invitation__member"))
                    .select_related("invitation__member").only(*BOUNCE_FIELDS).filter(pk__in=pks).order_by("pk")}
        changed: list[OutboxMessage] = []
        bounced_members: dict[int, tuple[Member, str]] = {}
        for pk, reason in batch.hard.items():
            message = messages.get(pk)
            if message is None or message.status == Status.BOUNCED:
                done["hard: nothing to change"] += 1
                continue
            message.status, message.error, message.next_attempt_at = Status.BOUNCED, f"bounced: {reason}"[:2000], None
            changed.append(message)
            member = message.invitation.member
            if message.to_email.lower() == member.email.lower() and not member.email_bounced:
                bounced_members[member.pk] = (member, reason)
            done["hard"] += 1
        for pk, reason in batch.soft.items():
            message = messages.get(pk)
            if message is None or message.status != Status.SENT or pk in batch.hard:
                done["soft: nothing to change"] += 1
                continue
            message.soft_bounces += 1
            if message.soft_bounces > settings.BOUNCE_SOFT_MAX:
                message.status = Status.BOUNCED
                message.error = f"bounced {message.soft_bounces} times temporarily, given up: {reason}"[:2000]
                done["soft: given up"] += 1
            else:
                message.status = Status.QUEUED
                message.error = f"soft bounce {message.soft_bounces}: {reason}; sent again later"[:2000]
                message.next_attempt_at = now + timedelta(hours=settings.BOUNCE_SOFT_RETRY_HOURS)
                message.handed_off_at = message.sent_at = None
                done["soft: queued again"] += 1
            changed.append(message)
        _update_each(changed, ["status", "error", "next_attempt_at", "soft_bounces", "handed_off_at", "sent_at"])
        if bounced_members:
            _mark_addresses_bounced(bounced_members, now)
        if batch.unsubscribe:
            done["unsubscribed"] += Invitation.objects.filter(
                messages__pk__in=batch.unsubscribe, opted_out_at__isnull=True).update(opted_out_at=now)
    return done


def _update_each(rows: list, fields: list[str]) -> None:
    """UPDATE each row's fields by primary key, all rows in one statement (UPDATE … FROM unnest).

    bulk_update's CASE expressions cost ~30 ms of Python per 100 rows, and one pipelined UPDATE per
    row still ~0.7 ms of server time each on a loaded machine (bench/bounce_mailbox.py); one
    statement over arrays costs one plan and one round trip.
    """
    if not rows:
        return
    model = type(rows[0])
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    sets = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in columns)
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in [meta.pk, *columns])
    names = ", ".join(quote(f.column) for f in [meta.pk, *columns])
    # Names and types come from the model, values are parameters.
    sql = (f"UPDATE {quote(meta.db_table)} AS t SET {sets} FROM unnest({arrays}) AS v({names}) "  # noqa: S608
           f"WHERE t.{quote(meta.pk.column)} = v.{quote(meta.pk.column)}")
    params = [[row.pk for row in rows]] + [[f.get_db_prep_save(getattr(row, f.attname), connection) for row in rows]
                                            for f in columns]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _mark_addresses_bounced(members: dict[int, tuple[Member, str]], now: datetime) -> None:
    """mark_bounced for many members at once (their main address bounced); the rows are locked already."""
    locked = {pk: member for pk, (member, _reason) in members.items()}
    for pk, member in locked.items():
        member.email_bounced, member.bounced_at = True, member.bounced_at or now
        member.bounce_reason = members[pk][1][:500]
        member.updated_at = now
    _update_each(list(locked.values()), ["email_bounced", "bounced_at", "bounce_reason", "updated_at"])
    to_old_address = OutboxMessage.objects.filter(invitation__member__in=list(locked),
                                                  to_email__iexact=F("invitation__member__email"))
    to_old_address.filter(status=OutboxMessage.Status.SENT).update(status=OutboxMessage.Status.BOUNCED)
    for member in locked.values():  # redirect what still waits to the fallback address (rare)
        if member.fallback_email:
            OutboxMessage.objects.filter(invitation__member=member, to_email__iexact=member.email,
                                         status=OutboxMessage.Status.QUEUED).update(to_email=member.fallback_email)


def messages_for_member(member: Member) -> QuerySet[OutboxMessage]:
    """Every message to this member, all surveys, oldest first."""
    return (
        OutboxMessage.objects.filter(invitation__member=member)
        .select_related("invitation__survey")
        .order_by("queued_at", "id")
    )
