"""The bounce mailbox against a real Dovecot: DSNs from Postfix, Exim, Exchange and Gmail,
out-of-office replies, a mailto unsubscribe and garbage, each matched by its VERP address (or the
returned Message-ID) to the outbox message it is about.
"""

import re
import socket
from datetime import timedelta

import pytest
from django.core import mail as django_mail
from django.utils import timezone

from harness.bounces import fill
from harness.imap_server import Dovecot, available
from harness.serve import free_port
from invitations import tasks
from invitations.bounces import imap, read
from invitations.models import Invitation, Member, OutboxMessage
from invitations.outbox import bounced, mail, queueing
from tests.worker import purge_broker, wait_for

from .conftest import make_members

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(not available(), reason="dovecot-imapd is not installed (.ci/run installs it)")]
Status = OutboxMessage.Status

# fixture → what it must lead to
EXPECTED = {
    "garbage_binary.eml": "unmatched",
    "garbage_truncated_report.eml": "unmatched",
    "postfix_user_unknown.eml": "hard",
    "postfix_mailbox_full.eml": "soft",
    "postfix_delayed_greylisted.eml": "ignored",
    "exim_user_unknown.eml": "hard",
    "exchange_online_not_found.eml": "hard",
    "exchange_2003_gateway.eml": "hard",
    "gmail_no_such_user.eml": "hard",
    "gmail_over_quota.eml": "soft",
    "out_of_office_exchange.eml": "ignored",
    "out_of_office_sieve.eml": "ignored",
    "unsubscribe_mailto.eml": "unsubscribe",
    "garbage_spam.eml": "unmatched",
}


@pytest.fixture(scope="module")
def dovecot():
    with Dovecot() as server:
        yield server


@pytest.fixture(scope="module")
def tls_dovecot():
    """Dovecot with its own CA: STARTTLS on `port`, implicit TLS on `tls_port`."""
    with Dovecot(tls=True) as server:
        yield server


def point_at(server: Dovecot, settings, tls: str = "off") -> Dovecot:
    """The bounce settings pointing at `server` (TLS as BOUNCE_IMAP_TLS, trusting its CA), every folder empty."""
    for key, value in server.settings(tls).items():
        setattr(settings, key, value)
    settings.BOUNCE_DOMAIN = "bounces.kgst.example"
    settings.VERP_SECRET = "verp-test-secret"
    settings.EMAIL_HOST = ""
    settings.MAIL_RATE = 0
    settings.MAIL_RATE_PER_DOMAIN = 0
    conn = server.client()
    for folder in ("INBOX", settings.BOUNCE_IMAP_PROCESSED_FOLDER, settings.BOUNCE_IMAP_UNMATCHED_FOLDER):
        status, data = conn.select(f'"{folder}"')
        if status == "OK" and int(data[0]):
            conn.store("1:*", "+FLAGS.SILENT", r"(\Deleted)")
            conn.expunge()
    conn.logout()
    return server


@pytest.fixture
def mailbox(dovecot, settings):
    """The bounce settings pointing at Dovecot, with every folder empty."""
    return point_at(dovecot, settings)


def sent_invitations(survey, count, capture) -> list[OutboxMessage]:
    make_members(count)
    with capture(execute=True):
        queueing.queue_invitations(survey)
    messages = list(OutboxMessage.objects.select_related("invitation__member").order_by("pk"))
    assert all(m.status == Status.SENT for m in messages)
    return messages


@pytest.fixture(params=[100, 4], ids=["one-batch", "batches-of-4"])
def batch_size(request, monkeypatch):
    """The task as beat runs it (one batch here), and in small batches: fetched, read, recorded, moved in turn."""
    run = imap.process_mailbox
    monkeypatch.setattr(imap, "process_mailbox", lambda **kw: run(batch_size=request.param, **kw))
    return request.param


def test_every_kind_of_bounce_is_handled_and_moved(survey, mailbox, settings, batch_size,
                                                   django_capture_on_commit_callbacks):
    messages = sent_invitations(survey, len(EXPECTED), django_capture_on_commit_callbacks)
    by_fixture = dict(zip(EXPECTED, messages, strict=True))
    mailbox.append([fill(name, by_fixture[name]) for name in EXPECTED])  # garbage comes first

    summary = tasks.process_bounces()

    unmatched = [n for n, e in EXPECTED.items() if e == "unmatched"]
    assert summary == {"processed": len(EXPECTED) - len(unmatched), "unmatched": len(unmatched)}
    for name, expected in EXPECTED.items():
        message = OutboxMessage.objects.select_related("invitation__member").get(pk=by_fixture[name].pk)
        member = message.invitation.member
        if expected == "hard":
            assert message.status == Status.BOUNCED, name
            assert member.email_bounced and member.bounced_at, name
            assert message.error.startswith("bounced: ") and re.search(r"\b5\.\d\.\d", message.error), name
            assert member.bounce_reason and member.bounce_reason in message.error, name
        elif expected == "soft":
            assert message.status == Status.QUEUED and message.soft_bounces == 1, name
            assert message.next_attempt_at > timezone.now() + timedelta(hours=5), name
            assert not member.email_bounced, name
        else:
            assert message.status == Status.SENT and not member.email_bounced, name
            assert (message.invitation.opted_out_at is not None) == (expected == "unsubscribe"), name
    assert "5.1.1" in OutboxMessage.objects.get(pk=by_fixture["postfix_user_unknown.eml"].pk).error
    assert "User unknown" in Member.objects.get(pk=by_fixture["exim_user_unknown.eml"].invitation.member_id) \
        .bounce_reason
    assert "5.1.10" in OutboxMessage.objects.get(pk=by_fixture["exchange_online_not_found.eml"].pk).error
    assert "5.2.2" in OutboxMessage.objects.get(pk=by_fixture["postfix_mailbox_full.eml"].pk).error

    # Nothing deleted, nothing left behind, nothing marked as read.
    assert mailbox.folder("INBOX") == []
    processed = mailbox.folder(settings.BOUNCE_IMAP_PROCESSED_FOLDER)
    aside = mailbox.folder(settings.BOUNCE_IMAP_UNMATCHED_FOLDER)
    assert len(processed) + len(aside) == len(EXPECTED) and len(aside) == len(unmatched)
    assert all(r"\Seen" not in flags for _raw, flags in processed + aside)
    # (Dovecot stores a NUL byte as 0x80; IMAP cannot carry NULs.)
    assert {raw.replace(b"\r\n", b"\n") for raw, _f in aside} == \
        {fill(n, by_fixture[n]).replace(b"\r\n", b"\n").replace(b"\x00", b"\x80") for n in unmatched}

    # A second run finds nothing; the same bounce once more changes nothing.
    assert tasks.process_bounces() == {}
    mailbox.append([fill("postfix_user_unknown.eml", by_fixture["postfix_user_unknown.eml"])])
    before = OutboxMessage.objects.get(pk=by_fixture["postfix_user_unknown.eml"].pk)
    assert tasks.process_bounces() == {"processed": 1}
    assert OutboxMessage.objects.get(pk=before.pk).error == before.error


def test_hard_bounce_sends_the_next_message_to_the_fallback(survey, mailbox, django_capture_on_commit_callbacks):
    [message] = sent_invitations(survey, 1, django_capture_on_commit_callbacks)
    Member.objects.update(fallback_email="poststelle@gemeinde.example")
    mailbox.append([fill("gmail_no_such_user.eml", message)])
    assert tasks.process_bounces() == {"processed": 1}
    member = Member.objects.get()
    assert member.email_bounced and member.delivery_email == "poststelle@gemeinde.example"
    django_mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        resent = queueing.resend_link(Invitation.objects.get())
    assert resent.to_email == "poststelle@gemeinde.example"
    assert [m.to for m in django_mail.outbox] == [["poststelle@gemeinde.example"]]


def test_soft_bounce_is_sent_again_once_by_the_sweep_then_given_up(survey, mailbox, settings,
                                                                   django_capture_on_commit_callbacks):
    purge_broker()  # tasks an earlier test of this worker left in the queue would make the sweep wait
    [message] = sent_invitations(survey, 1, django_capture_on_commit_callbacks)
    settings.BOUNCE_SOFT_MAX = 1
    mailbox.append([fill("postfix_mailbox_full.eml", message)])
    assert tasks.process_bounces() == {"processed": 1}
    assert OutboxMessage.objects.get().status == Status.QUEUED
    django_mail.outbox.clear()
    assert tasks.sweep_outbox(stale_seconds=0) == 0  # not due yet
    OutboxMessage.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=1))
    assert tasks.sweep_outbox(stale_seconds=0) == 1
    again = OutboxMessage.objects.get()
    assert again.status == Status.SENT and again.message_id == message.message_id
    assert len(django_mail.outbox) == 1
    assert tasks.sweep_outbox(stale_seconds=0) == 0  # sent once, not again
    # The second soft bounce exceeds BOUNCE_SOFT_MAX: bounced, but the address is kept.
    mailbox.append([fill("gmail_over_quota.eml", message)])
    assert tasks.process_bounces() == {"processed": 1}
    final = OutboxMessage.objects.get()
    assert final.status == Status.BOUNCED and "given up" in final.error
    assert not Member.objects.get().email_bounced


def test_a_forged_verp_address_is_not_matched(survey, mailbox, settings, django_capture_on_commit_callbacks):
    [message] = sent_invitations(survey, 1, django_capture_on_commit_callbacks)
    raw = fill("exim_user_unknown.eml", message).replace(message.message_id.encode(), b"<other@example.org>")
    good = mail.verp_address(message.pk)
    settings.VERP_SECRET = "the-attacker-does-not-know-this"
    forged = raw.replace(good.encode(), mail.verp_address(message.pk).encode())
    settings.VERP_SECRET = "verp-test-secret"
    assert forged != raw
    mailbox.append([forged])
    assert tasks.process_bounces() == {"unmatched": 1}
    assert OutboxMessage.objects.get().status == Status.SENT


def test_classify_reads_each_fixture_without_imap(survey, settings, django_capture_on_commit_callbacks):
    settings.BOUNCE_DOMAIN = "bounces.kgst.example"
    settings.EMAIL_HOST = ""
    messages = sent_invitations(survey, len(EXPECTED), django_capture_on_commit_callbacks)
    kinds = {name: read.classify(fill(name, m)).kind for name, m in zip(EXPECTED, messages, strict=True)}
    assert kinds["postfix_delayed_greylisted.eml"] == read.DELAYED
    assert kinds["out_of_office_exchange.eml"] == kinds["out_of_office_sieve.eml"] == read.AUTO_REPLY
    assert kinds["exchange_2003_gateway.eml"] == read.HARD  # found by the returned Message-ID alone
    assert {kinds[n] for n, e in EXPECTED.items() if e == "unmatched"} == {read.UNMATCHED}


def test_a_database_error_is_not_taken_for_an_unreadable_mail(survey, settings, monkeypatch,
                                                               django_capture_on_commit_callbacks):
    """The batch must stay in the inbox for the next run, not go to the unmatched folder for a person."""
    from django.db import DatabaseError

    settings.BOUNCE_DOMAIN = "bounces.kgst.example"
    [message] = sent_invitations(survey, 1, django_capture_on_commit_callbacks)

    def database_gone(*args):
        raise DatabaseError("database gone")

    monkeypatch.setattr(read, "_message_by_id", database_gone)
    with pytest.raises(DatabaseError):
        read.classify(fill("exchange_2003_gateway.eml", message))  # matched by its Message-ID alone


def test_imap_down_is_logged_and_nothing_changes(survey, settings, caplog, django_capture_on_commit_callbacks):
    settings.BOUNCE_IMAP_HOST = "127.0.0.1"
    settings.BOUNCE_IMAP_PORT = free_port()
    settings.BOUNCE_IMAP_TLS = "off"
    assert tasks.process_bounces() == {"error": 1}
    assert "bounce mailbox 127.0.0.1" in caplog.text


def test_without_imap_settings_the_task_does_nothing(settings):
    settings.BOUNCE_IMAP_HOST = ""
    assert tasks.process_bounces() == {}


def test_member_page_and_dashboard_show_the_bounce(survey, mailbox, staff_client, django_capture_on_commit_callbacks):
    from django.urls import reverse

    from responses.dashboard import figures as dashboard

    messages = sent_invitations(survey, 3, django_capture_on_commit_callbacks)
    Member.objects.filter(pk=messages[2].invitation.member_id).update(land="Bayern")
    mailbox.append([fill("postfix_user_unknown.eml", messages[0]), fill("exim_user_unknown.eml", messages[2])])
    assert tasks.process_bounces() == {"processed": 2}
    by_land = {row.label: row.bounced for row in dashboard.by_land(survey)}
    assert by_land == {"Bayern": 1, "Nordrhein-Westfalen": 1}
    assert dashboard.totals(survey).bounced == 2
    page = staff_client.get(reverse("staff:dashboard", args=[survey.slug])).content.decode()
    assert "Adresse unzustellbar" in page
    member = messages[0].invitation.member
    detail = staff_client.get(reverse("staff:member_detail", args=[survey.slug, member.ags])).content.decode()
    assert "Unzustellbar seit" in detail and "User unknown in virtual mailbox table" in detail


def test_lf_and_crlf_mails_read_the_same_and_bounces_say_why(survey, settings, django_capture_on_commit_callbacks):
    settings.BOUNCE_DOMAIN = "bounces.kgst.example"
    settings.EMAIL_HOST = ""
    messages = sent_invitations(survey, len(EXPECTED), django_capture_on_commit_callbacks)
    for name, message in zip(EXPECTED, messages, strict=True):
        raw = fill(name, message)
        verdict = read.classify(raw)
        assert read.classify(raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")) == verdict, name
        if EXPECTED[name] in ("hard", "soft"):
            assert verdict.reason, name


def test_a_database_error_leaves_that_batch_in_the_inbox(survey, mailbox, settings, monkeypatch,
                                                        django_capture_on_commit_callbacks):
    messages = sent_invitations(survey, 9, django_capture_on_commit_callbacks)
    mailbox.append([fill("postfix_user_unknown.eml", m) for m in messages])
    record, calls = bounced.record_bounces, []

    def fail_second(batch):
        calls.append(batch)
        if len(calls) == 2:
            raise RuntimeError("database gone")
        return record(batch)

    monkeypatch.setattr(bounced, "record_bounces", fail_second)
    with pytest.raises(RuntimeError):
        imap.process_mailbox(batch_size=3)
    assert len(mailbox.folder(settings.BOUNCE_IMAP_PROCESSED_FOLDER)) == 3  # the first batch, committed and moved
    assert len(mailbox.folder("INBOX")) == 6
    assert OutboxMessage.objects.filter(status=Status.BOUNCED).count() == 3
    monkeypatch.setattr(bounced, "record_bounces", record)
    assert imap.process_mailbox(batch_size=3) == {"processed": 6}
    assert OutboxMessage.objects.filter(status=Status.BOUNCED).count() == 9


# --- TLS ---------------------------------------------------------------------------------
# A second Dovecot with a certificate from a CA of its own (imap_server.make_certificates): the
# task trusts it through BOUNCE_IMAP_CA_FILE, and nothing else does.

def task_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "invitations.tasks" and r.levelname == "WARNING"]


def new_lines(server: Dovecot, before: str) -> str:
    return server.log()[len(before):]


@pytest.mark.parametrize("tls", ["implicit", "starttls"])
def test_the_task_reads_the_mailbox_over_tls(survey, tls_dovecot, settings, tls, django_capture_on_commit_callbacks):
    server = point_at(tls_dovecot, settings, tls)
    assert settings.BOUNCE_IMAP_PORT == (server.tls_port if tls == "implicit" else server.port)
    first, second = sent_invitations(survey, 2, django_capture_on_commit_callbacks)
    server.append([fill("postfix_user_unknown.eml", first), fill("out_of_office_sieve.eml", second)])
    logins = len(server.logins())

    assert tasks.process_bounces() == {"processed": 2}

    # Dovecot's side: the task's one login came over TLS (the test helper's plain logins say "secured").
    assert wait_for(lambda: server.logins()[logins:], timeout=5)
    assert [", TLS," in line for line in server.logins()[logins:]] == [True], server.logins()[logins:]
    assert OutboxMessage.objects.get(pk=first.pk).status == Status.BOUNCED
    assert OutboxMessage.objects.get(pk=second.pk).status == Status.SENT
    assert server.folder("INBOX") == [] and len(server.folder(settings.BOUNCE_IMAP_PROCESSED_FOLDER)) == 2


def refused_run(caplog, settings, server: Dovecot, message: OutboxMessage, dovecot_says: str) -> str:
    """Run the task against a server it must refuse: returns its one warning, after checking that the
    handshake failed on Dovecot's side too (`dovecot_says`), nobody logged in and nothing was read or moved."""
    server.append([fill("postfix_user_unknown.eml", message)])
    before = server.log()
    caplog.clear()
    assert tasks.process_bounces() == {"error": 1}
    assert wait_for(lambda: dovecot_says in new_lines(server, before), timeout=5), new_lines(server, before)
    assert "Login: " not in new_lines(server, before)  # the password never went out
    assert OutboxMessage.objects.get(pk=message.pk).status == Status.SENT
    assert len(server.folder("INBOX")) == 1 and server.folder(settings.BOUNCE_IMAP_PROCESSED_FOLDER) == []
    [warning] = task_warnings(caplog)
    return warning


@pytest.mark.parametrize("tls", ["implicit", "starttls"])
def test_a_certificate_the_client_does_not_trust_stops_the_run(survey, tls_dovecot, settings, caplog, tls,
                                                               django_capture_on_commit_callbacks):
    server = point_at(tls_dovecot, settings, tls)
    [message] = sent_invitations(survey, 1, django_capture_on_commit_callbacks)
    settings.BOUNCE_IMAP_CA_FILE = ""  # the system's store: it does not know the test CA

    warning = refused_run(caplog, settings, server, message, "alert unknown ca")

    assert warning == (f"bounce mailbox 127.0.0.1: the TLS certificate of 127.0.0.1:{settings.BOUNCE_IMAP_PORT} "
                       "was refused (unable to get local issuer certificate), so no password was sent; set "
                       "BOUNCE_IMAP_CA_FILE to the CA certificate if a private CA issued it")
    # With the CA trusted the same mailbox is read: the refusal was the certificate, nothing else.
    settings.BOUNCE_IMAP_CA_FILE = str(server.ca_file)
    assert tasks.process_bounces() == {"processed": 1}
    assert OutboxMessage.objects.get(pk=message.pk).status == Status.BOUNCED


def test_a_certificate_for_another_name_is_refused(survey, tls_dovecot, settings, caplog,
                                                   django_capture_on_commit_callbacks):
    server = point_at(tls_dovecot, settings, "implicit")
    [message] = sent_invitations(survey, 1, django_capture_on_commit_callbacks)
    settings.BOUNCE_IMAP_HOST = "localhost"  # the same server, but the certificate names only 127.0.0.1

    warning = refused_run(caplog, settings, server, message, "alert bad certificate")

    assert warning == (f"bounce mailbox localhost: the TLS certificate of localhost:{server.tls_port} was refused "
                       "(Hostname mismatch, certificate is not valid for 'localhost'), so no password was sent; "
                       "BOUNCE_IMAP_HOST must be a name the certificate is issued for")


def test_starttls_is_required_when_asked_for(survey, mailbox, settings, caplog, django_capture_on_commit_callbacks):
    """A server without STARTTLS (the plain Dovecot) is not used in plain text instead."""
    [message] = sent_invitations(survey, 1, django_capture_on_commit_callbacks)
    settings.BOUNCE_IMAP_TLS = "starttls"
    mailbox.append([fill("postfix_user_unknown.eml", message)])
    before = mailbox.log()
    assert tasks.process_bounces() == {"error": 1}
    assert task_warnings(caplog) == [
        f"bounce mailbox 127.0.0.1: the IMAP server 127.0.0.1:{mailbox.port} does not offer STARTTLS, so no password "
        "was sent; use its IMAPS port with BOUNCE_IMAP_TLS=implicit"]
    assert wait_for(lambda: "(no auth attempts" in new_lines(mailbox, before), timeout=5), new_lines(mailbox, before)
    assert "Login: " not in new_lines(mailbox, before)
    assert OutboxMessage.objects.get(pk=message.pk).status == Status.SENT


def test_implicit_tls_on_the_plain_port_and_a_bad_ca_file_say_what_to_check(tls_dovecot, settings, caplog, tmp_path):
    point_at(tls_dovecot, settings, "implicit")
    settings.BOUNCE_IMAP_PORT = tls_dovecot.port  # the STARTTLS port answers in plain text
    assert tasks.process_bounces() == {"error": 1}
    settings.BOUNCE_IMAP_CA_FILE = str(tmp_path / "missing.pem")
    assert tasks.process_bounces() == {"error": 1}
    (tmp_path / "empty.pem").write_text("no certificate here\n")
    settings.BOUNCE_IMAP_CA_FILE = str(tmp_path / "empty.pem")
    assert tasks.process_bounces() == {"error": 1}
    assert task_warnings(caplog) == [
        f"bounce mailbox 127.0.0.1: the TLS handshake with 127.0.0.1:{tls_dovecot.port} failed (wrong version "
        "number); check that BOUNCE_IMAP_TLS and BOUNCE_IMAP_PORT fit this server",
        f"bounce mailbox 127.0.0.1: BOUNCE_IMAP_CA_FILE {tmp_path / 'missing.pem'} is no readable PEM file of CA "
        "certificates (No such file or directory)",
        f"bounce mailbox 127.0.0.1: BOUNCE_IMAP_CA_FILE {tmp_path / 'empty.pem'} is no readable PEM file of CA "
        "certificates (no certificate or crl found)",
    ]


def test_an_unknown_tls_mode_never_falls_back_to_plain_text(dovecot, settings, caplog):
    point_at(dovecot, settings, "off")
    settings.BOUNCE_IMAP_TLS = "ssl"  # a typo for "implicit": must not log in without encryption
    logins = len(dovecot.logins())
    assert tasks.process_bounces() == {"error": 1}
    assert task_warnings(caplog) == [
        "bounce mailbox 127.0.0.1: BOUNCE_IMAP_TLS='ssl' is not one of implicit, starttls, off; nothing was sent"]
    assert len(dovecot.logins()) == logins


def test_a_server_that_is_not_there_or_refuses_the_login_is_named_in_one_sentence(dovecot, settings, caplog):
    point_at(dovecot, settings, "off")
    settings.BOUNCE_IMAP_PASSWORD = "wrong"
    assert tasks.process_bounces() == {"error": 1}
    settings.BOUNCE_IMAP_PASSWORD = dovecot.settings()["BOUNCE_IMAP_PASSWORD"]
    closed = free_port()  # nothing listens there
    settings.BOUNCE_IMAP_PORT = closed
    assert tasks.process_bounces() == {"error": 1}
    with socket.socket() as silent:  # accepts the connection but never greets (e.g. an IMAPS port without TLS)
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        settings.BOUNCE_IMAP_PORT, settings.BOUNCE_IMAP_TIMEOUT = silent.getsockname()[1], 1
        assert tasks.process_bounces() == {"error": 1}
    assert task_warnings(caplog) == [
        "bounce mailbox 127.0.0.1: the IMAP server 127.0.0.1 refused the login of BOUNCE_IMAP_USER 'bounces' "
        "(Authentication failed.); check BOUNCE_IMAP_USER and BOUNCE_IMAP_PASSWORD",
        f"bounce mailbox 127.0.0.1: nothing accepts connections on 127.0.0.1:{closed}; check BOUNCE_IMAP_HOST "
        "and BOUNCE_IMAP_PORT",
        f"bounce mailbox 127.0.0.1: 127.0.0.1:{settings.BOUNCE_IMAP_PORT} did not answer within BOUNCE_IMAP_TIMEOUT "
        "(1 s); check BOUNCE_IMAP_PORT and BOUNCE_IMAP_TLS (an IMAPS port waits silently for a TLS handshake)",
    ]
    assert "wrong" not in caplog.text


def test_a_host_name_that_does_not_resolve_is_named_in_one_sentence(dovecot, settings, caplog):
    point_at(dovecot, settings, "off")
    settings.BOUNCE_IMAP_HOST = "imap.kgst.invalid"  # RFC 6761: a name under .invalid never resolves
    assert tasks.process_bounces() == {"error": 1}
    [warning] = task_warnings(caplog)
    # the resolver's own words vary ("Name or service not known", "Temporary failure in name resolution")
    assert re.fullmatch(r"bounce mailbox imap\.kgst\.invalid: the name imap\.kgst\.invalid cannot be resolved "
                        r"\([^()]+\); check BOUNCE_IMAP_HOST", warning), warning


@pytest.mark.parametrize("count", [3, 30])
def test_a_batch_costs_the_same_few_queries_at_any_size_and_leaves_the_bodies_unread(
        survey, count, django_capture_on_commit_callbacks):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    messages = sent_invitations(survey, count, django_capture_on_commit_callbacks)
    batch = bounced.BounceBatch(hard={m.pk: "5.1.1 user unknown" for m in messages[::2]},
                                 soft={m.pk: "4.2.2 mailbox full" for m in messages[1::2]})
    with CaptureQueriesContext(connection) as queries:
        done = bounced.record_bounces(batch)
    assert done == {"hard": len(messages[::2]), "soft: queued again": len(messages[1::2])}
    # savepoint/transaction, lock-and-read, messages, members, their other messages, release
    assert len(queries.captured_queries) <= 8, [q["sql"][:80] for q in queries.captured_queries]
    select = next(q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"])
    assert "body_text" not in select and "body_html" not in select
    assert Member.objects.filter(email_bounced=True).count() == len(messages[::2])
