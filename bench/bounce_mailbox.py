"""Benchmark: the bounce task on a mailbox of 2,000 mails, next to a bare IMAP fetch of it.

    .venv/bin/python bench/bounce_mailbox.py [--bounces 1600] [--auto-replies 250] [--garbage 150]

Creates a fresh database `bench_bounce` on the local PostgreSQL with one survey, 1,600 members and
one sent invitation each, starts a real Dovecot (harness/imap_server.py) and fills its
INBOX with the fixture mails of harness/bounce_mails/ (Postfix, Exim, Exchange, Gmail; hard
and soft), each about its own message, plus out-of-office replies and garbage. Then measures, in
the same run and on the same mailbox:

1. a bare IMAP fetch of every mail (same batches, BODY.PEEK[]), nothing parsed;
2. the bounce task (invitations.bounces.imap.process_mailbox): fetch, read, update the database,
   move each mail to its folder;
3. reading the mails alone (no IMAP, no writes).

Prints the figures (there is no target: a field phase brings perhaps a hundred bounces, read every
few minutes); drops the database and stops Dovecot.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG = os.getenv("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = "bench_bounce"
BOUNCES = ["postfix_user_unknown.eml", "exim_user_unknown.eml", "exchange_online_not_found.eml",
           "exchange_2003_gateway.eml", "gmail_no_such_user.eml", "postfix_mailbox_full.eml",
           "gmail_over_quota.eml", "postfix_delayed_greylisted.eml"]
AUTO_REPLIES = ["out_of_office_exchange.eml", "out_of_office_sieve.eml"]
GARBAGE = ["garbage_spam.eml", "garbage_truncated_report.eml", "garbage_binary.eml"]


def recreate_db(drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        if not drop_only:
            conn.execute(f"CREATE DATABASE {DB_NAME}")


def bare_fetch(server, batch: int) -> tuple[int, int]:
    """(mails, bytes) fetched the way the task fetches them, nothing else done."""
    from invitations.bounces import imap

    conn = server.client()
    try:
        conn.select("INBOX")
        _status, data = conn.uid("SEARCH", None, "UNDELETED")
        uids = data[0].split()
        count = size = 0
        for start in range(0, len(uids), batch):
            chunk = imap.fetch(conn, uids[start : start + batch])
            count += len(chunk)
            size += sum(len(raw) for _uid, raw in chunk)
        return count, size
    finally:
        conn.logout()


def restore(server, settings) -> float:
    """Every mail back into INBOX, and the database as before the task ran."""
    from invitations.models import Invitation, Member, OutboxMessage

    conn = server.client()
    started = time.perf_counter()
    try:
        for folder in (settings.BOUNCE_IMAP_PROCESSED_FOLDER, settings.BOUNCE_IMAP_UNMATCHED_FOLDER):
            status, data = conn.select(f'"{folder}"')
            if status == "OK" and int(data[0]):
                conn.uid("MOVE", "1:*", "INBOX")
    finally:
        conn.logout()
    moved_back = time.perf_counter() - started
    OutboxMessage.objects.update(status=OutboxMessage.Status.SENT, error="", soft_bounces=0, next_attempt_at=None)
    Member.objects.update(email_bounced=False, bounced_at=None, bounce_reason="")
    Invitation.objects.update(opted_out_at=None)
    return moved_back


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bounces", type=int, default=1600)
    parser.add_argument("--auto-replies", type=int, default=250)
    parser.add_argument("--garbage", type=int, default=150)
    parser.add_argument("--batch", type=int, default=500)  # the task's default
    args = parser.parse_args()

    recreate_db()
    os.environ.update(DJANGO_SETTINGS_MODULE="config.settings", DATABASE_URL=f"{PG}/{DB_NAME}",
                      RUECKLAUF_TESTING="1", LOG_LEVEL="WARNING", CELERY_BROKER_URL="", REDIS_URL="",
                      BOUNCE_DOMAIN="bounces.kgst.example", VERP_SECRET="bench-verp-secret")
    import logging

    import django

    django.setup()
    logging.disable(logging.WARNING)  # the garbage is logged as it should be; not part of the figures
    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone

    from harness.bounces import fill
    from harness.imap_server import Dovecot
    from invitations.bounces import imap, read
    from invitations.models import Invitation, Member, OutboxMessage, groessenklasse
    from invitations.outbox import mail
    from surveys.models import Survey

    call_command("migrate", verbosity=0)
    server = Dovecot()
    server.__enter__()
    try:
        for key, value in server.settings().items():
            setattr(settings, key, value)
        survey = Survey.objects.create(slug="bench", title="Wie nutzen Kommunen Social Media?",
                                       status=Survey.Status.OPEN)
        members = Member.objects.bulk_create([
            Member(ags=str(10_000_000 + i), name=f"Gemeinde {i}", land="Bayern", typ="Gemeinde", einwohner=5000 + i,
                   groessenklasse=groessenklasse(5000 + i), email=f"rathaus{i}@gemeinde{i % 400}.example")
            for i in range(args.bounces)], batch_size=1000)
        invitations = Invitation.objects.bulk_create([Invitation(survey=survey, member=m) for m in members])
        now = timezone.now()
        messages = OutboxMessage.objects.bulk_create([
            OutboxMessage(invitation=inv, step="invitation", to_email=inv.member.email, subject="Einladung",
                          body_text="…", status=OutboxMessage.Status.SENT, sent_at=now,
                          message_id=mail.new_message_id())
            for inv in invitations], batch_size=1000)
        rng = random.Random(2013)
        kinds = Counter()
        raws = []
        for i, message in enumerate(messages):
            name = BOUNCES[i % len(BOUNCES)]
            kinds[name] += 1
            raws.append(fill(name, message))
        for i in range(args.auto_replies):
            raws.append(fill(AUTO_REPLIES[i % 2], rng.choice(messages)))
        for i in range(args.garbage):
            raws.append(fill(GARBAGE[i % 3], rng.choice(messages)))
        rng.shuffle(raws)
        started = time.perf_counter()
        server.append(raws)
        total_bytes = sum(len(r) for r in raws)
        print(f"machine: {os.cpu_count()} CPUs, load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        print(f"mailbox: {len(raws)} mails, {total_bytes / 1e6:.1f} MB ({args.bounces} bounces: "
              + ", ".join(f"{n.removesuffix('.eml')} {c}" for n, c in kinds.items())
              + f"; {args.auto_replies} auto-replies; {args.garbage} garbage), filled in "
              f"{time.perf_counter() - started:.1f} s")

        # 1. a bare fetch
        start = time.perf_counter()
        fetched, size = bare_fetch(server, args.batch)
        floor = time.perf_counter() - start
        print(f"bare IMAP fetch of {fetched} mails ({size / 1e6:.1f} MB) in batches of {args.batch}: "
              f"{floor:.2f} s ({fetched / floor:,.0f} mails/s)")

        # 2. the task
        start = time.perf_counter()
        if os.getenv("BENCH_PROFILE"):
            import cProfile
            import pstats

            profile = cProfile.Profile()
            summary = profile.runcall(imap.process_mailbox, batch_size=args.batch)
            pstats.Stats(profile).sort_stats(os.getenv("BENCH_PROFILE_SORT", "cumulative")).print_stats(30)
        else:
            summary = imap.process_mailbox(batch_size=args.batch)
        task = time.perf_counter() - start
        outcome = Counter(OutboxMessage.objects.values_list("status", flat=True))
        bounced_members = Member.objects.filter(email_bounced=True).count()
        print(f"bounce task: {sum(summary.values())} mails in {task:.2f} s ({sum(summary.values()) / task:,.0f} "
              f"mails/s, {task / floor:.1f}× the bare fetch); moved {dict(summary)}; outbox now {dict(outcome)}, "
              f"{bounced_members} addresses marked bounced")
        restore(server, settings)

        # 3. reading alone
        start = time.perf_counter()
        for raw in raws:
            read.classify(raw)
        parse = time.perf_counter() - start
        print(f"  of which reading the mails (email package, flufl.bounce, a Message-ID query where there is no "
              f"VERP address; no IMAP, no writes): {parse:.2f} s = {parse / floor:.1f}× the bare fetch")
    finally:
        server.__exit__()
        from django.db import connections

        connections.close_all()
        recreate_db(drop_only=True)


if __name__ == "__main__":
    main()
