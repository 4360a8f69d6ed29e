"""Invitations and reminders only for an open survey; open_survey / close_survey; the send page's counts."""

import datetime
import io

import pytest
from django.core import mail as django_mail
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from invitations.models import Invitation, Member, OutboxMessage
from invitations.outbox import queueing
from responses.models import Response
from surveys.models import Survey

from .conftest import make_members

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_smtp(settings):
    settings.EMAIL_HOST = ""
    settings.MAIL_RATE = 0
    settings.MAIL_RATE_PER_DOMAIN = 0


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_a_draft_survey_gets_no_invitations_until_opened(survey):
    Survey.objects.filter(pk=survey.pk).update(status=Survey.Status.DRAFT, closes_on=None)
    make_members(3)
    with pytest.raises(CommandError, match=r"still a draft.*open_survey test-befragung"):
        call_command("send_invitations", survey.slug)
    with pytest.raises(CommandError, match="open_survey"):
        call_command("send_reminders", survey.slug)
    assert not Invitation.objects.exists() and not OutboxMessage.objects.exists()
    assert "is now open" in run("open_survey", survey.slug)
    assert "already open" in run("open_survey", survey.slug)
    assert "queued 3 invitation(s)" in run("send_invitations", survey.slug)
    assert "is now closed" in run("close_survey", survey.slug)
    with pytest.raises(CommandError, match=r"closed; nothing queued.*open_survey test-befragung --closes-on"):
        call_command("send_reminders", survey.slug)
    with pytest.raises(queueing.InvitationError, match="geschlossen"):
        queueing.resend_link(Invitation.objects.first())


def test_reopening_after_the_deadline_needs_a_new_one(survey):
    Survey.objects.filter(pk=survey.pk).update(status=Survey.Status.CLOSED, closes_on=datetime.date(2013, 8, 30))
    with pytest.raises(CommandError, match="ended on 2013-08-30.*--closes-on"):
        call_command("open_survey", survey.slug)
    with pytest.raises(CommandError, match="must not be in the past"):
        call_command("open_survey", survey.slug, "--closes-on", "2013-09-30")
    with pytest.raises(CommandError, match="expected a date"):
        call_command("open_survey", survey.slug, "--closes-on", "30.09.2099")
    assert Survey.objects.get(pk=survey.pk).status == Survey.Status.CLOSED  # nothing changed
    new = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    assert f"field phase until {new}" in run("open_survey", survey.slug, "--closes-on", new)
    reopened = Survey.objects.get(pk=survey.pk)
    assert reopened.status == Survey.Status.OPEN and reopened.closed_at is None
    with pytest.raises(CommandError, match="no survey with slug"):
        call_command("close_survey", "gibt-es-nicht")


def test_staff_buttons_refuse_a_draft_with_the_reason(staff_client, survey):
    Survey.objects.filter(pk=survey.pk).update(status=Survey.Status.DRAFT)
    make_members(2)
    page = staff_client.post(reverse("staff:send_invitations", args=[survey.slug]), follow=True).content.decode()
    assert "noch nicht geöffnet" in page and "„Befragung öffnen“" in page
    assert not OutboxMessage.objects.exists()


def test_send_page_counts_who_gets_one_and_why_not(staff_client, survey, django_capture_on_commit_callbacks):
    Survey.objects.filter(pk=survey.pk).update(closes_on=None)  # sending is refused once the 2013 deadline is over
    members = make_members(7)
    invited, opted_out, submitted, bounced, bounced_with_fallback = members[:5]
    for member in (invited, opted_out, submitted):
        Invitation.objects.create(survey=survey, member=member)
    OutboxMessage.objects.create(invitation=Invitation.objects.get(member=invited), step="invitation",
                                 to_email=invited.email, subject="s", body_text="t", status="sent")
    Invitation.objects.filter(member=opted_out).update(opted_out_at=timezone.now())
    Response.objects.create(invitation=Invitation.objects.get(member=submitted), survey=survey,
                            status=Response.Status.SUBMITTED)
    Member.objects.filter(pk=bounced.pk).update(email_bounced=True)
    Member.objects.filter(pk=bounced_with_fallback.pk).update(email_bounced=True, fallback_email="ersatz@g.example")

    plan = queueing.invitation_plan(survey)
    assert plan == queueing.InvitationPlan(will_send=3, already_invited=1, opted_out=1, submitted=1,
                                           bounced_without_fallback=1)
    page = staff_client.get(reverse("staff:send_invitations", args=[survey.slug])).content.decode()
    assert "Es werden 3 Einladungen versendet." in page
    assert "4 Mitglieder des Registers erhalten keine Einladung:" in page
    for reason in ("1 ist bereits eingeladen.", "1 hat sich abgemeldet.", "1 hat bereits geantwortet",
                   "1 hat eine unzustellbare Adresse ohne Ersatzadresse."):
        assert reason in page
    django_mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(reverse("staff:send_invitations", args=[survey.slug]))
    recipients = sorted(m.to[0] for m in django_mail.outbox)
    assert len(recipients) == 3 and "ersatz@g.example" in recipients
    assert queueing.invitation_plan(survey).will_send == 0
