"""Celery beat really schedules the periodic tasks: a `celery beat` process and a worker process
on the test database and the test run's Redis database, with intervals of a second.

The task code is tested on its own elsewhere (test_reminder_plan.py, test_bounces.py); here it is
what beat makes of it: a reminder round due today reaches each non-responder once although beat
fires the task again and again, and the bounce mailbox (a real Dovecot over TLS) is read by the
runs beat starts, one after the other.
"""

import datetime
import re
from pathlib import Path

import pytest
from django.utils import timezone

from harness.bounces import fill
from harness.imap_server import PASSWORD, USER, Dovecot, available
from harness.smtp_sink import Sink, tokens_in
from invitations.models import Invitation, OutboxMessage, ReminderPlanStep
from invitations.outbox import plan, queueing
from responses.models import Response
from tests.worker import ROOT, celery_beat, celery_worker, wait_for

from .conftest import make_members

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
Status = OutboxMessage.Status
VERP = {"BOUNCE_DOMAIN": "bounces.kgst.example", "VERP_SECRET": "verp-test-secret"}


@pytest.fixture(autouse=True)
def _settings(settings):
    """The test process sends the invitations itself (eager, into the local mailbox), as test_bounces does."""
    settings.EMAIL_HOST = ""
    settings.MAIL_RATE = 0
    settings.MAIL_RATE_PER_DOMAIN = 0
    for key, value in VERP.items():
        setattr(settings, key, value)


def invite(survey, count: int, days_ago: int) -> list[OutboxMessage]:
    make_members(count)
    queueing.queue_invitations(survey)  # transaction=True: on_commit runs at once, the eager task sends
    OutboxMessage.objects.update(queued_at=timezone.now() - datetime.timedelta(days=days_ago))
    messages = list(OutboxMessage.objects.select_related("invitation__member").order_by("pk"))
    assert [m.status for m in messages] == [Status.SENT] * count
    return messages


def task_results(log: Path, task: str) -> list[str]:
    """What each run of `task` returned, from the worker's log ("… succeeded in 0.01s: 2")."""
    text = log.read_text(errors="replace") if log.exists() else ""
    return re.findall(rf"Task {re.escape(task)}\[[0-9a-f-]+\] succeeded in [0-9.e-]+s: (.*)", text)


def beat_sent(log: Path, entry: str) -> int:
    text = log.read_text(errors="replace") if log.exists() else ""
    return text.count(f"Sending due task {entry} ")


def base_env(**extra: object) -> dict[str, str]:
    env = {"MAIL_RATE": "0", "MAIL_RATE_PER_DOMAIN": "0", "BOUNCE_IMAP_HOST": "", **VERP,
           # the other entries stay at their minutes: they do not run in these few seconds
           "REMINDER_PLAN_SECONDS": "3600", "BOUNCE_CHECK_SECONDS": "3600"}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def test_beat_sends_a_reminder_round_due_today_once(survey, tmp_path, settings):
    messages = invite(survey, 3, days_ago=3)
    responder = messages[0].invitation
    Response.objects.create(invitation=responder, survey=survey, status=Response.Status.SUBMITTED)
    today = timezone.localdate()
    plan.set_reminder_plan(survey, [today, 28])  # today's round, and one 28 days after the invitation
    worker_log, beat_log = tmp_path / "worker.log", tmp_path / "beat.log"
    task = "invitations.tasks.run_reminder_plan"

    with Sink() as sink:
        env = base_env(EMAIL_HOST="127.0.0.1", EMAIL_PORT=sink.port, REMINDER_PLAN_SECONDS=1)
        with celery_worker(concurrency=2, extra_env=env, log=worker_log), \
                celery_beat(tmp_path, extra_env=env, log=beat_log):
            assert wait_for(lambda: sink.count() >= 2, timeout=30), worker_log.read_text() + beat_log.read_text()
            # Beat goes on firing the task: three more runs after the one that queued the round.
            assert wait_for(lambda: len(task_results(worker_log, task)) >= 4, timeout=15), beat_log.read_text()
            assert wait_for(lambda: not OutboxMessage.objects.filter(status__in=[Status.QUEUED, Status.SENDING])
                            .exists(), timeout=10)
        received = sink.messages

    results = task_results(worker_log, task)
    assert results.count("2") == 1 and set(results) == {"2", "0"}, results  # one run queued two, the rest nothing
    assert beat_sent(beat_log, "run-reminder-plan") >= len(results)
    non_responders = {i.member.email: i for i in Invitation.objects.exclude(pk=responder.pk).select_related("member")}
    assert sorted(r.rcpt for r in received) == sorted(non_responders)  # each once, the responder not at all
    for r in received:
        assert tokens_in(r.text(), settings.SITE_URL) == {non_responders[r.rcpt].token}
    reminders = OutboxMessage.objects.filter(step__startswith="reminder-")
    assert sorted(reminders.values_list("step", "status")) == [("reminder-1", Status.SENT)] * 2
    step = ReminderPlanStep.objects.get(on_date=today)
    assert step.queued_count == 2 and step.round_step == "reminder-1"
    assert ReminderPlanStep.objects.get(days_after_invitation=28).queued_at is None  # not due: left alone
    # Beat kept its schedule in the test's folder, not in the working tree.
    assert list(tmp_path.glob("celerybeat-schedule*")) and not list(ROOT.glob("celerybeat-schedule*"))


@pytest.fixture(scope="module")
def tls_dovecot():
    with Dovecot(tls=True) as server:
        yield server


@pytest.mark.skipif(not available(), reason="dovecot-imapd is not installed (.ci/run installs it)")
def test_beat_reads_the_bounce_mailbox_over_tls(survey, tls_dovecot, tmp_path, settings):
    first, second = invite(survey, 2, days_ago=1)
    tls_dovecot.append([fill("postfix_user_unknown.eml", first)])
    worker_log, beat_log = tmp_path / "worker.log", tmp_path / "beat.log"
    # What an operator sets: implicit TLS on the IMAPS port, the private CA by file (config/settings.py).
    env = base_env(BOUNCE_CHECK_SECONDS=1, BOUNCE_IMAP_HOST="127.0.0.1", BOUNCE_IMAP_PORT=tls_dovecot.tls_port,
                   BOUNCE_IMAP_TLS="implicit", BOUNCE_IMAP_CA_FILE=tls_dovecot.ca_file, BOUNCE_IMAP_USER=USER,
                   BOUNCE_IMAP_PASSWORD=PASSWORD)

    def status(message: OutboxMessage) -> str:
        return OutboxMessage.objects.get(pk=message.pk).status

    with celery_worker(concurrency=1, extra_env=env, log=worker_log), \
            celery_beat(tmp_path, extra_env=env, log=beat_log):
        assert wait_for(lambda: status(first) == Status.BOUNCED, timeout=30), \
            worker_log.read_text() + beat_log.read_text()
        # A bounce that arrives later is read by a later run: beat keeps scheduling the task.
        tls_dovecot.append([fill("gmail_no_such_user.eml", second)])
        assert wait_for(lambda: status(second) == Status.BOUNCED, timeout=15), worker_log.read_text()

    assert tls_dovecot.folder("INBOX") == [] and len(tls_dovecot.folder(settings.BOUNCE_IMAP_PROCESSED_FOLDER)) == 2
    assert beat_sent(beat_log, "process-bounces") >= 2
    results = task_results(worker_log, "invitations.tasks.process_bounces")
    assert "{'processed': 1}" in results and "{'error': 1}" not in results, results
    assert "bounce mailbox 127.0.0.1:" not in worker_log.read_text()  # the task's warning when it cannot connect
    # Every login of the worker came over TLS (the test's own appends log in plain, "secured").
    assert sum(", TLS," in line for line in tls_dovecot.logins()) >= 2
