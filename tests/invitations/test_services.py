"""Queuing, rendering, the send state machine (in-process), reminders, resends, bounces, opt-out."""

import datetime

import psycopg
import pytest
import redis
from django.core import mail as django_mail
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from harness.smtp_sink import tokens_in
from invitations import credentials, tasks
from invitations.models import Invitation, Member, OutboxMessage
from invitations.outbox import bounced, queueing, sending, throttle
from responses.models import Response
from tests.worker import purge_broker, wait_for

from .conftest import make_members

pytestmark = pytest.mark.django_db
Status = OutboxMessage.Status


@pytest.fixture(autouse=True)
def _no_smtp(settings):
    settings.EMAIL_HOST = ""  # Django's locmem backend collects the mail
    settings.SITE_URL = "https://befragung.example"
    settings.MAIL_RATE = 0
    settings.MAIL_RATE_PER_DOMAIN = 0


def queue_and_send(django_capture_on_commit_callbacks, func, *args, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return func(*args, **kwargs)


def test_invitation_mail_has_link_code_deadline_contact_and_optout(survey, django_capture_on_commit_callbacks):
    make_members(1)
    Member.objects.update(ansprechpartner="Frau <b>Muster</b>", name="Gemeinde <script>x</script>")
    assert queue_and_send(django_capture_on_commit_callbacks, queueing.queue_invitations, survey) == 1
    invitation = Invitation.objects.get()
    message = OutboxMessage.objects.get()
    assert message.status == Status.SENT and message.step == "invitation" and message.attempts == 1
    assert len(django_mail.outbox) == 1
    sent = django_mail.outbox[0]
    assert sent.to == [invitation.member.email]
    assert sent.subject == "Einladung zur Befragung: Wie nutzen Kommunen Social Media?"
    assert sent.extra_headers["Message-ID"] == message.message_id
    text = sent.body
    html = sent.alternatives[0][0]
    for body in (text, html):
        assert f"https://befragung.example/s/{invitation.token}/" in body
        assert invitation.access_code_display in body
        assert "30. August 2013" in body
        assert "befragung@kgst.example" in body
        assert f"https://befragung.example/abmelden/{credentials.optout_token(invitation.pk)}/" in body
    assert "Guten Tag Frau <b>Muster</b>," in text  # plain text is not HTML-escaped
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert tokens_in(text, "https://befragung.example") == {invitation.token}


def test_contact_falls_back_to_setting(survey, settings):
    settings.SURVEY_CONTACT = "hilfe@example.org"
    survey.contact_email = ""
    survey.save()
    make_members(1)
    queueing.queue_invitations(survey)
    assert "hilfe@example.org" in OutboxMessage.objects.get().body_text


def test_queue_invitations_is_idempotent(survey, django_capture_on_commit_callbacks):
    make_members(5)
    assert queue_and_send(django_capture_on_commit_callbacks, queueing.queue_invitations, survey) == 5
    assert queue_and_send(django_capture_on_commit_callbacks, queueing.queue_invitations, survey) == 0
    make_members(2, start=20_000_000)  # members added to the register later get theirs
    assert queue_and_send(django_capture_on_commit_callbacks, queueing.queue_invitations, survey) == 2
    assert Invitation.objects.count() == 7 and OutboxMessage.objects.count() == 7
    assert len(django_mail.outbox) == 7


def test_closed_survey_queues_nothing(survey):
    make_members(2)
    survey.close()
    with pytest.raises(queueing.InvitationError):
        queueing.queue_invitations(survey)
    assert OutboxMessage.objects.count() == 0


def test_redelivered_task_for_a_sent_message_sends_nothing(survey, django_capture_on_commit_callbacks):
    make_members(1)
    queue_and_send(django_capture_on_commit_callbacks, queueing.queue_invitations, survey)
    message = OutboxMessage.objects.get()
    assert sending.process_message(message.pk).status == "done"
    tasks.send_message.delay(message.pk)
    assert len(django_mail.outbox) == 1
    message.refresh_from_db()
    assert message.attempts == 1


def test_dead_sender_after_handoff_is_never_resent(survey):
    make_members(2)
    queueing.queue_invitations(survey)
    handed, not_handed = OutboxMessage.objects.order_by("pk")
    now = timezone.now()
    OutboxMessage.objects.filter(pk=handed.pk).update(status=Status.SENDING, sending_since=now, handed_off_at=now,
                                                      attempts=1)
    OutboxMessage.objects.filter(pk=not_handed.pk).update(status=Status.SENDING, sending_since=now, attempts=1)
    assert sending.process_message(handed.pk).status == "presumed-sent"
    assert sending.process_message(not_handed.pk).status == "sent"
    handed.refresh_from_db()
    not_handed.refresh_from_db()
    assert handed.status == Status.SENT and handed.error.startswith("unconfirmed")
    assert not_handed.status == Status.SENT and not_handed.attempts == 2 and not_handed.error == ""
    assert [m.to for m in django_mail.outbox] == [[not_handed.to_email]]


def test_message_held_by_a_live_worker_is_left_alone(survey):
    make_members(1)
    queueing.queue_invitations(survey)
    message = OutboxMessage.objects.get()
    OutboxMessage.objects.filter(pk=message.pk).update(status=Status.SENDING, sending_since=timezone.now())
    db = connection.settings_dict
    other = psycopg.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"] or "postgres",
                            dbname=db["NAME"], autocommit=True)
    try:
        other.execute("SELECT pg_advisory_lock(%s::int, %s::int)", [sending.LOCK_NAMESPACE, message.pk])
        assert sending.process_message(message.pk).status == "busy"
        assert django_mail.outbox == []
    finally:
        other.close()  # the "worker" dies: its lock goes with its session
    # The server drops a closed session's locks asynchronously; wait until it has.
    with connection.cursor() as cursor:
        def released() -> bool:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s", [message.pk])
            return cursor.fetchone()[0] == 0

        assert wait_for(released, timeout=10)
    assert sending.process_message(message.pk).status == "sent"


def test_sweep_enqueues_lost_messages(survey, settings, django_capture_on_commit_callbacks):
    purge_broker()  # tasks an earlier test of this worker left in the queue would make the sweep wait
    make_members(3)
    queueing.queue_invitations(survey)  # on_commit never runs here: the tasks are "lost"
    assert OutboxMessage.objects.filter(status=Status.QUEUED).count() == 3
    assert tasks.sweep_outbox() == 0  # not stale yet
    old = timezone.now() - datetime.timedelta(seconds=settings.OUTBOX_STALE_SECONDS + 5)
    OutboxMessage.objects.update(queued_at=old)
    assert tasks.sweep_outbox() == 3  # eager: sent right away
    assert OutboxMessage.objects.filter(status=Status.SENT).count() == 3
    assert len(django_mail.outbox) == 3
    assert tasks.sweep_outbox(stale_seconds=0) == 0


def test_sweep_leaves_queued_rows_while_the_broker_has_a_backlog(survey, settings):
    """While tasks wait in the broker, a queued row's task is most likely among them: no duplicate."""
    purge_broker()
    make_members(2)
    queueing.queue_invitations(survey)
    OutboxMessage.objects.update(queued_at=timezone.now() - datetime.timedelta(hours=1))
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.lpush("celery", b"{}")  # one waiting task, as Celery's Redis transport keeps it
    try:
        assert tasks.sweep_outbox() == 0
        assert OutboxMessage.objects.filter(status=Status.QUEUED).count() == 2
    finally:
        purge_broker()
    assert tasks.sweep_outbox() == 2


def test_backoff_row_is_not_sent_before_it_is_due(survey):
    make_members(1)
    queueing.queue_invitations(survey)
    message = OutboxMessage.objects.get()
    OutboxMessage.objects.update(next_attempt_at=timezone.now() + datetime.timedelta(minutes=5))
    assert sending.process_message(message.pk).status == "not-due"
    assert tasks.sweep_outbox(stale_seconds=0) == 0


# --- reminders -------------------------------------------------------------------------

def _invited(survey, count):
    make_members(count)
    queueing.queue_invitations(survey)
    OutboxMessage.objects.update(status=Status.SENT, sent_at=timezone.now())
    return list(Invitation.objects.order_by("member__ags"))


def test_reminders_skip_submitted_opted_out_and_uninvited(survey, django_capture_on_commit_callbacks):
    submitted, started, opted_out, plain, failed = _invited(survey, 5)
    Response.objects.create(survey=survey, invitation=submitted, status=Response.Status.SUBMITTED,
                            submitted_at=timezone.now())
    Response.objects.create(survey=survey, invitation=started)
    Invitation.objects.filter(pk=opted_out.pk).update(opted_out_at=timezone.now())
    OutboxMessage.objects.filter(invitation=failed).update(status=Status.FAILED)
    assert queue_and_send(django_capture_on_commit_callbacks, queueing.queue_reminders, survey) == 2
    reminders = OutboxMessage.objects.filter(step="reminder-1")
    assert {m.invitation_id for m in reminders} == {started.pk, plain.pk}
    assert all(m.status == Status.SENT for m in reminders)
    assert "Erinnerung" in django_mail.outbox[0].subject
    # a second click within the hour tops up round 1: nothing new
    assert queueing.queue_reminders(survey) == 0
    # a day later: round 2, still one per member
    OutboxMessage.objects.filter(step="reminder-1").update(queued_at=timezone.now() - datetime.timedelta(days=1))
    assert queueing.queue_reminders(survey) == 2
    assert OutboxMessage.objects.filter(step="reminder-2").count() == 2


def test_reminder_not_sent_when_member_submits_or_opts_out_meanwhile(survey):
    invitations = _invited(survey, 2)
    queueing.queue_reminders(survey)  # queued, not yet sent
    Response.objects.create(survey=survey, invitation=invitations[0], status=Response.Status.SUBMITTED)
    Invitation.objects.filter(pk=invitations[1].pk).update(opted_out_at=timezone.now())
    for message in OutboxMessage.objects.filter(step="reminder-1"):
        assert sending.process_message(message.pk).status == "skipped"
        message.refresh_from_db()
        assert message.status == Status.FAILED and message.error.startswith("not sent:")
    assert django_mail.outbox == []


# --- resend, bounce, history -----------------------------------------------------------

def test_resend_link_numbers_steps(survey, django_capture_on_commit_callbacks):
    invitation = _invited(survey, 1)[0]
    first = queue_and_send(django_capture_on_commit_callbacks, queueing.resend_link, invitation, created_by="anna")
    second = queue_and_send(django_capture_on_commit_callbacks, queueing.resend_link, invitation)
    assert (first.step, second.step, first.created_by) == ("resend-1", "resend-2", "anna")
    assert len(django_mail.outbox) == 2 and invitation.token in django_mail.outbox[0].body


def test_mark_bounced_with_fallback(survey):
    invitation = _invited(survey, 1)[0]
    member = invitation.member
    bad = member.email
    waiting = queueing.resend_link(invitation)  # still queued
    with pytest.raises(ValidationError):
        bounced.mark_bounced(member, "kein-at-zeichen")
    bounced.mark_bounced(member, "ersatz@gemeinde.example")
    member.refresh_from_db()
    assert member.email_bounced and member.delivery_email == "ersatz@gemeinde.example"
    assert OutboxMessage.objects.get(step="invitation").status == Status.BOUNCED
    waiting.refresh_from_db()
    assert waiting.to_email == "ersatz@gemeinde.example"
    again = queueing.resend_link(invitation)
    assert again.to_email == "ersatz@gemeinde.example" != bad
    history = list(queueing.messages_for_member(member))
    assert [m.step for m in history] == ["invitation", "resend-1", "resend-2"]


# --- opt-out page ----------------------------------------------------------------------

def test_optout_page_get_changes_nothing_post_opts_out(survey):
    invitation = _invited(survey, 1)[0]
    client = Client(enforce_csrf_checks=True)
    url = f"/abmelden/{invitation.token}/"
    page = client.get(url)
    assert page.status_code == 200
    assert "Keine Erinnerungen mehr senden" in page.content.decode()
    invitation.refresh_from_db()
    assert invitation.opted_out_at is None
    assert client.post(url).status_code == 403  # no CSRF token
    token = page.cookies["csrftoken"].value
    done = client.post(url, {"csrfmiddlewaretoken": token})
    assert done.status_code == 200
    assert "keine Erinnerungen mehr" in done.content.decode()
    invitation.refresh_from_db()
    assert invitation.opted_out_at is not None
    assert queueing.queue_reminders(survey) == 0
    assert Client().get("/abmelden/unbekannt-aber-lang-genug/").status_code == 404


# --- throttle --------------------------------------------------------------------------

def test_throttle_reserves_consecutive_slots():
    throttle.reset()
    assert throttle.reserve("test-scope", 0) == 0
    assert throttle.reserve("test-scope", 2) == 0
    second = throttle.reserve("test-scope", 2)
    third = throttle.reserve("test-scope", 2)
    assert 0.3 < second <= 0.5 and 0.8 < third <= 1.0  # slots 0.5 s apart, shared through Redis
    assert throttle.reserve("other-scope", 2) == 0
    throttle.reset()


# --- commands --------------------------------------------------------------------------

def test_send_commands(survey, capsys):
    make_members(3)
    survey.closes_on = None  # the fixture's 2013 deadline is over, and the commands refuse to send after it
    survey.save(update_fields=["closes_on"])
    call_command("send_invitations", survey.slug)
    assert "queued 3 invitation(s)" in capsys.readouterr().out
    call_command("send_invitations", survey.slug)
    assert "queued 0 invitation(s)" in capsys.readouterr().out
    OutboxMessage.objects.update(status=Status.SENT)
    call_command("send_reminders", survey.slug)
    assert "queued 3 reminder(s)" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("send_invitations", "gibt-es-nicht")
