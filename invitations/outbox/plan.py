"""The reminder plan: rounds planned by staff (N days after the invitation, or on a date), queued by beat.

Beat's task (tasks.run_reminder_plan) calls run_reminder_plan every few minutes; each due round is
queued once, through the same queue_reminders as the button on the send page.
"""

from __future__ import annotations

import logging
from datetime import date

from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from accounts import audit
from surveys.models import Survey

from ..models import OutboxMessage, ReminderPlanStep
from . import queueing

log = logging.getLogger(__name__)


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
        _latest, when = queueing.latest_reminder_round(survey)
        if when and timezone.now() - when < queueing.REMINDER_ROUND_INTERVAL:
            continue
        with transaction.atomic():
            step = ReminderPlanStep.objects.select_for_update(skip_locked=True).filter(
                pk=due[0].pk, queued_at__isnull=True).first()
            if step is None:  # another beat run has it
                continue
            try:
                count = queueing.queue_reminders(survey, created_by="reminder plan")
            except queueing.InvitationError as exc:
                log.info("reminder plan %s: %s", survey.slug, exc)
                continue
            latest, _when = queueing.latest_reminder_round(survey)
            step.queued_at, step.queued_count, step.round_step = timezone.now(), count, f"reminder-{latest}"
            step.save(update_fields=["queued_at", "queued_count", "round_step"])
        audit.record("reminders_sent", survey=survey, target=survey.slug, queued=count, via="reminder plan")
        log.info("reminder plan %s: queued %s reminder(s) (%s)", survey.slug, count, step.round_step)
        total += count
    return total
