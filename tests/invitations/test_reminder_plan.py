"""The reminder plan: staff set days after the invitation or dates; beat sends each round once."""

import datetime

import pytest
from django.core import mail as django_mail
from django.urls import reverse
from django.utils import timezone

from invitations import tasks
from invitations.models import Invitation, OutboxMessage, ReminderPlanStep
from invitations.outbox import plan, queueing
from responses.models import Response

from .conftest import make_members

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_smtp(settings):
    settings.EMAIL_HOST = ""
    settings.MAIL_RATE = 0
    settings.MAIL_RATE_PER_DOMAIN = 0


def invite(survey, capture, count=3, days_ago=15):
    make_members(count)
    with capture(execute=True):
        queueing.queue_invitations(survey)
    OutboxMessage.objects.update(queued_at=timezone.now() - datetime.timedelta(days=days_ago))


def test_due_rounds_go_out_once_to_non_responders(survey, django_capture_on_commit_callbacks):
    invite(survey, django_capture_on_commit_callbacks)
    first = Invitation.objects.order_by("pk").first()
    Response.objects.create(invitation=first, survey=survey, status=Response.Status.SUBMITTED)
    plan.set_reminder_plan(survey, [14, 28])
    today = timezone.localdate()
    django_mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert plan.run_reminder_plan(today) == 2  # day 15: the 14-day round, not the 28-day one
    assert sorted(m.to[0] for m in django_mail.outbox) == sorted(
        i.member.email for i in Invitation.objects.exclude(pk=first.pk))
    done = ReminderPlanStep.objects.get(days_after_invitation=14)
    assert done.queued_at and done.queued_count == 2 and done.round_step == "reminder-1"
    with django_capture_on_commit_callbacks(execute=True):
        assert plan.run_reminder_plan(today) == 0  # once
        assert tasks.run_reminder_plan() == 0
    assert OutboxMessage.objects.filter(step__startswith="reminder-").count() == 2
    # Fourteen days later the 28-day round is due (and the first round is long enough ago).
    OutboxMessage.objects.filter(step="reminder-1").update(queued_at=timezone.now() - datetime.timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert plan.run_reminder_plan(today + datetime.timedelta(days=14)) == 2
    assert set(OutboxMessage.objects.values_list("step", flat=True)) == {"invitation", "reminder-1", "reminder-2"}


def test_nothing_before_the_invitation_or_for_a_closed_survey(survey, django_capture_on_commit_callbacks):
    plan.set_reminder_plan(survey, [1, timezone.localdate()])
    assert plan.run_reminder_plan() == 0  # nobody invited yet: both steps wait
    assert not ReminderPlanStep.objects.filter(queued_at__isnull=False).exists()
    invite(survey, django_capture_on_commit_callbacks, days_ago=3)
    survey.close()
    assert plan.run_reminder_plan() == 0
    assert not OutboxMessage.objects.filter(step__startswith="reminder-").exists()
    assert not ReminderPlanStep.objects.filter(queued_at__isnull=False).exists()


def test_staff_set_the_plan_with_clear_errors(staff_client, survey):
    url = reverse("staff:reminder_plan", args=[survey.slug])
    bad = staff_client.post(url, {"plan": "14, vierzehn"})
    assert bad.status_code == 400 and "„vierzehn“ ist weder eine Zahl von Tagen noch ein Datum" in bad.content.decode()
    past = staff_client.post(url, {"plan": "01.01.2013"})
    assert "liegt in der Vergangenheit" in past.content.decode()
    assert not ReminderPlanStep.objects.exists()  # nothing stored on bad input
    future = (timezone.localdate() + datetime.timedelta(days=40)).strftime("%d.%m.%Y")
    assert staff_client.post(url, {"plan": f"14; 28, {future}"}).status_code == 302
    assert ReminderPlanStep.objects.count() == 3
    page = staff_client.get(url).content.decode()
    assert "14 Tage nach der Einladung" in page and future in page and "geplant" in page
    outbox = staff_client.get(reverse("staff:outbox", args=[survey.slug])).content.decode()
    assert "Erinnerungsplan" in outbox and future in outbox
