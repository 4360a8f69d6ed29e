"""Sending for real: aiosmtpd on 127.0.0.1, a Celery worker process on Redis, PostgreSQL.

Exactly one message per member — with a clean run, a SIGKILLed worker, a restarted Redis —
temporary errors retried, permanent ones failed with the server's reason.
"""

import subprocess
import sys
import time
from collections import Counter

import pytest
from django.urls import resolve

from harness.serve import free_port
from harness.servers import PrivateRedis
from harness.smtp_sink import Sink, tokens_in
from invitations.models import Invitation, OutboxMessage
from invitations.outbox import queueing
from tests.worker import ROOT, celery_worker, purge_broker, start_worker, stop_worker, wait_for, worker_env

from .conftest import make_members

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
Status = OutboxMessage.Status
SITE = "https://befragung.example"


@pytest.fixture
def real_celery(real_celery, settings):
    """The shared real_celery (tests/conftest.py) with the site address the links are checked against."""
    settings.SITE_URL = SITE
    return real_celery


@pytest.fixture
def sink():
    with Sink() as running:
        yield running


def env_for(sink, **extra):
    env = {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(sink.port), "SITE_URL": SITE, "MAIL_RATE": "0",
           "MAIL_RATE_PER_DOMAIN": "0", "MAIL_RETRY_BASE_SECONDS": "0.5", "OUTBOX_STALE_SECONDS": "300"}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def settled() -> bool:
    return not OutboxMessage.objects.filter(status__in=[Status.QUEUED, Status.SENDING]).exists()


def assert_one_each(sink, survey, expected: int, allow_unconfirmed_missing: bool = False) -> None:
    """Every member got exactly one message, and each carries that member's own link."""
    counts = sink.per_recipient()
    duplicates = {rcpt: n for rcpt, n in counts.items() if n > 1}
    assert duplicates == {}, f"{len(duplicates)} member(s) got more than one message"
    by_email = {inv.member.email: inv for inv in Invitation.objects.filter(survey=survey).select_related("member")}
    assert len(by_email) == expected
    missing = set(by_email) - set(counts)
    if allow_unconfirmed_missing:
        # Only a message whose worker died in the microseconds between recording the hand-off
        # and sending the final "." can be missing, and it is then marked "sent, unconfirmed".
        unconfirmed = set(OutboxMessage.objects.filter(error__startswith="unconfirmed").values_list("to_email",
                                                                                                    flat=True))
        assert missing <= unconfirmed
        assert len(missing) <= 4
    else:
        assert missing == set()
    for received in sink.messages:
        invitation = by_email[received.rcpt]
        assert tokens_in(received.text(), SITE) == {invitation.token}
        assert tokens_in(received.html(), SITE) == {invitation.token}
        assert invitation.access_code_display in received.text()
    assert OutboxMessage.objects.filter(invitation__survey=survey, status=Status.SENT).count() == expected


def test_1600_members_get_exactly_one_message_each(real_celery, sink, kgst_survey, tmp_path, client):
    make_members(1600)
    with celery_worker(concurrency=6, extra_env=env_for(sink), log=tmp_path / "worker.log"):
        assert queueing.queue_invitations(kgst_survey) == 1600
        assert wait_for(lambda: sink.count() >= 1600, timeout=120), f"only {sink.count()} received"
        assert wait_for(settled, timeout=10)
        assert queueing.queue_invitations(kgst_survey) == 0
        time.sleep(0.5)
    assert sink.count() == 1600
    assert_one_each(sink, kgst_survey, 1600)
    ids = set(OutboxMessage.objects.values_list("message_id", flat=True))
    assert len(ids) == 1600 and all(m.message()["Message-ID"] in ids for m in sink.messages[:50])
    # every link opens its own response (a sample through the respondent views, all through the token)
    resolve("/s/x/")
    for received in sink.messages[:40]:
        token = tokens_in(received.text(), SITE).pop()
        answer = client.get(f"/s/{token}/")
        assert answer.status_code == 302 and f"/s/{token}/willkommen/" in answer["Location"]  # new: welcome page
        assert Invitation.objects.by_token(token).get().member.email == received.rcpt


def test_sigkill_mid_batch_then_new_worker_and_sweep(real_celery, sink, survey, tmp_path):
    from invitations.tasks import sweep_outbox

    make_members(1000)
    log = tmp_path / "worker.log"
    purge_broker()
    worker = start_worker(concurrency=6, extra_env=env_for(sink), log=log)
    try:
        queueing.queue_invitations(survey)
        assert wait_for(lambda: sink.count() >= 250, timeout=30)
        stop_worker(worker, kill=True)
        at_kill = sink.count()
        assert at_kill < 1000, "the batch finished before the kill; make it bigger"
        worker = start_worker(concurrency=4, extra_env=env_for(sink), log=log)

        def swept() -> bool:
            sweep_outbox(stale_seconds=0)
            return wait_for(settled, timeout=3, interval=0.3)

        assert wait_for(swept, timeout=60, interval=0.5)
    finally:
        stop_worker(worker)
    assert_one_each(sink, survey, 1000, allow_unconfirmed_missing=True)
    attempts = Counter(OutboxMessage.objects.values_list("attempts", flat=True))
    print(f"\nreceived at kill: {at_kill}; attempts per message: {dict(attempts)}")


def test_temporary_error_is_retried_then_sent_and_permanent_error_fails(real_celery, sink, survey, tmp_path):
    flaky, dead, fine = sorted(m.email for m in make_members(3))
    sink.handler.temp_fail_data[flaky] = 2  # 451 twice, then accepted
    sink.handler.reject_rcpt[dead] = f"550 5.1.1 <{dead}>: Recipient address rejected: User unknown"
    with celery_worker(concurrency=2, extra_env=env_for(sink), log=tmp_path / "worker.log"):
        assert queueing.queue_invitations(survey) == 3
        assert wait_for(settled, timeout=30)
    by_email = {m.to_email: m for m in OutboxMessage.objects.all()}
    assert by_email[flaky].status == Status.SENT and by_email[flaky].attempts == 3
    assert by_email[dead].status == Status.FAILED and by_email[dead].attempts == 1
    assert "550 5.1.1" in by_email[dead].error and "User unknown" in by_email[dead].error
    assert by_email[fine].status == Status.SENT and by_email[fine].attempts == 1
    assert sink.per_recipient() == Counter({flaky: 1, fine: 1})


def test_smtp_server_down_then_back(real_celery, survey, tmp_path):
    """Connection refused is a temporary error: the message waits and goes out once the server is back."""
    make_members(2)
    port = free_port()
    env = {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(port), "SITE_URL": SITE, "MAIL_RATE": "0",
           "MAIL_RATE_PER_DOMAIN": "0", "MAIL_RETRY_BASE_SECONDS": "1"}
    with celery_worker(concurrency=2, extra_env=env, log=tmp_path / "worker.log"):
        queueing.queue_invitations(survey)
        assert wait_for(lambda: OutboxMessage.objects.filter(attempts__gte=1, status=Status.QUEUED).count() == 2,
                        timeout=20)
        assert "ConnectionRefusedError" in OutboxMessage.objects.first().error
        sink = Sink()
        sink.port = port
        from aiosmtpd.controller import Controller

        sink.controller = Controller(sink.handler, hostname="127.0.0.1", port=port)
        with sink:
            assert wait_for(settled, timeout=30)
            assert sink.count() == 2
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {Status.SENT}


# --- Redis restarted mid-batch -----------------------------------------------------------

def manage(env: dict, *code: str) -> str:
    script = "import django; django.setup()\n" + "\n".join(code)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=worker_env(env), capture_output=True,
                          text=True, timeout=60, check=True)
    return done.stdout


@pytest.mark.slow
def test_redis_restarted_mid_batch_nothing_lost(sink, survey, tmp_path):
    make_members(400)
    survey.closes_on = None  # send_invitations refuses a survey whose deadline (2013) is over
    survey.save(update_fields=["closes_on"])
    redis_server = PrivateRedis()
    redis_server.start()
    env = env_for(sink, MAIL_RATE=100, CELERY_BROKER_URL=redis_server.url(), REDIS_URL=redis_server.url(),
                  CACHE_URL=redis_server.url())
    worker = start_worker(concurrency=2, extra_env=env, log=tmp_path / "worker.log")
    try:
        manage(env, "from django.core.management import call_command",
               f"call_command('send_invitations', {survey.slug!r})")
        assert wait_for(lambda: sink.count() >= 60, timeout=30)
        redis_server.stop()          # queue, unacked tasks and throttle state are gone
        at_restart = sink.count()
        time.sleep(1)
        redis_server.start()
        assert at_restart < 400
        for _ in range(40):          # what celery beat does every minute, faster
            manage(env, "from invitations.tasks import sweep_outbox", "sweep_outbox(stale_seconds=0)")
            if wait_for(settled, timeout=3):
                break
        assert settled()
    finally:
        stop_worker(worker)
        redis_server.stop()
    assert_one_each(sink, survey, 400, allow_unconfirmed_missing=True)


def test_optout_links_are_redacted_in_logs():
    import logging

    from config.logging import RedactTokens

    token = "A" * 43
    for path in (f"/abmelden/{token}/", f"/s/{token}/"):
        record = logging.LogRecord("django.server", logging.INFO, __file__, 1, '"%s" %s %s',
                                   (f"GET {path} HTTP/1.1", "200", "512"), None)
        RedactTokens().filter(record)
        assert token not in record.getMessage()
