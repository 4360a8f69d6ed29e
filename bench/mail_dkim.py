"""Benchmark: sending with DKIM signing against the unsigned send, in the same run.

    .venv/bin/python bench/mail_dkim.py [--members 800] [--key-bits 2048]

Creates a fresh database `bench_dkim`, starts the aiosmtpd sink (harness/smtp_sink.py),
queues one invitation per member for two open surveys and sends each outbox row with the real
task body (invitations.outbox.sending.process_message: claim, build, VERP, hand-off, SMTP to the sink) in
this process, one SMTP connection:

1. floor: the first survey's rows unsigned;
2. the second survey's rows with DKIM signing (dkimpy, RSA key generated with openssl);

and prints messages per second of both and their ratio, plus the signing time alone per message.
Drops the database and stops the sink.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG = os.getenv("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = "bench_dkim"


def recreate_db(drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        if not drop_only:
            conn.execute(f"CREATE DATABASE {DB_NAME}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=800)
    parser.add_argument("--key-bits", type=int, default=2048)
    args = parser.parse_args()

    recreate_db()
    from harness.smtp_sink import Sink

    sink = Sink()
    sink.__enter__()
    os.environ.update(DJANGO_SETTINGS_MODULE="config.settings", DATABASE_URL=f"{PG}/{DB_NAME}",
                      RUECKLAUF_TESTING="1", LOG_LEVEL="WARNING", CELERY_BROKER_URL="", REDIS_URL="",
                      EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(sink.port), MAIL_RATE="0", MAIL_RATE_PER_DOMAIN="0",
                      SITE_URL="https://befragung.example", BOUNCE_DOMAIN="bounces.kgst.example")
    import django

    django.setup()
    import logging

    logging.disable(logging.INFO)
    from django.conf import settings
    from django.core.management import call_command

    from invitations.models import Member, OutboxMessage, groessenklasse
    from invitations.outbox import enqueue, mail, queueing, sending
    from surveys.models import Survey

    keydir = Path(tempfile.mkdtemp(prefix="bench-dkim-"))
    key = keydir / "dkim.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(key), str(args.key_bits)], check=True, capture_output=True)
    try:
        call_command("migrate", verbosity=0)
        Member.objects.bulk_create([
            Member(ags=str(10_000_000 + i), name=f"Gemeinde {i}", land="Bayern", typ="Gemeinde", einwohner=5000 + i,
                   groessenklasse=groessenklasse(5000 + i), email=f"rathaus{i}@gemeinde{i % 400}.example")
            for i in range(args.members)], batch_size=1000)
        enqueue.send_after_commit = lambda ids: None  # queue only; this script sends the rows itself
        surveys = []
        for slug in ("unsigned", "signed"):
            survey = Survey.objects.create(slug=slug, title="Wie nutzen Kommunen Social Media?",
                                           status=Survey.Status.OPEN, organisers="KGSt",
                                           contact_email="befragung@kgst.example")
            queueing.queue_invitations(survey)
            surveys.append(survey)

        def send(survey: Survey) -> float:
            pks = list(OutboxMessage.objects.filter(invitation__survey=survey).order_by("pk").values_list("pk",
                                                                                                         flat=True))
            start = time.perf_counter()
            for pk in pks:
                assert sending.process_message(pk).status == "sent"
            return len(pks) / (time.perf_counter() - start)

        print(f"machine: {os.cpu_count()} CPUs, load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        floor = send(surveys[0])
        settings.DKIM_PRIVATE_KEY_PATH, settings.DKIM_SELECTOR, settings.DKIM_DOMAIN = str(key), "bench", \
            "kgst.example"
        signed = send(surveys[1])
        assert sink.count() == 2 * args.members
        assert all(m.data.startswith(b"DKIM-Signature") for m in sink.messages[args.members:])
        sample = mail.as_bytes(mail.build_email(OutboxMessage.objects.select_related("invitation").first()))
        start = time.perf_counter()
        for _ in range(200):
            mail.dkim_sign(sample)
        sign_ms = (time.perf_counter() - start) / 200 * 1000
        print(f"floor: unsigned send, {args.members} invitations through process_message to the sink: "
              f"{floor:,.0f} msg/s")
        print(f"DKIM (RSA {args.key_bits}, relaxed/relaxed, {len(sample):,}-byte message): {signed:,.0f} msg/s "
              f"= {signed / floor:.1%} of unsigned; signing alone {sign_ms:.2f} ms per message "
              f"(≈ {1000 / sign_ms:,.0f} signatures/s on one core)")
    finally:
        mail.close_connection()
        sink.__exit__(None, None, None)
        from django.db import connections

        connections.close_all()
        recreate_db(drop_only=True)
        key.unlink(missing_ok=True)
        keydir.rmdir()


if __name__ == "__main__":
    main()
