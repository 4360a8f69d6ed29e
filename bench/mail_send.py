"""Benchmark: invitation mail from `send_invitations` to the local SMTP server.

    .venv/bin/python bench/mail_send.py [--members 1600] [--concurrency 8] [--rate 50]

Creates a fresh database `bench_mail` on the local PostgreSQL, starts an aiosmtpd sink on
127.0.0.1 and a real Celery worker on Redis (REDIS_URL, default redis://127.0.0.1:6379/3 — that
DB is flushed), then measures:

1. floor: the bare SMTP send rate of this machine — smtplib over one connection, the same
   rendered message, same sink;
2. throttle off: time from `send_invitations` until the last of N messages is accepted;
3. throttle on (MAIL_RATE=--rate): achieved vs configured rate over a smaller batch;
4. per-domain throttle (MAIL_RATE_PER_DOMAIN=10, two domains): achieved vs 20/s.

Prints figures and ratios; drops the database and stops everything it started.
"""

from __future__ import annotations

import argparse
import os
import signal
import smtplib
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG = os.getenv("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = "bench_mail"
REDIS_URL = os.getenv("REDIS_URL", "redis://127.0.0.1:6379/3")


def recreate_db() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")


def drop_db() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


class Worker:
    def __init__(self, concurrency: int, env: dict[str, str], log: Path) -> None:
        self.log = log
        full = dict(os.environ)
        full.update(env)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=WARNING",
             f"--concurrency={concurrency}", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=full, stdout=open(log, "ab"), stderr=subprocess.STDOUT, start_new_session=True,
        )
        from config.celery import app

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # wait until the worker consumes
            replies = app.control.ping(timeout=0.5)
            if replies:
                return
        raise RuntimeError("worker did not start; see " + str(log))

    def stop(self) -> float:
        """Stop the worker; returns the CPU seconds it and its pool processes used."""
        if self.proc.returncode is not None:
            return 0.0
        os.killpg(os.getpgid(self.proc.pid), signal.SIGTERM)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            pid, _, usage = os.wait4(self.proc.pid, os.WNOHANG)
            if pid:
                self.proc.returncode = 0
                return usage.ru_utime + usage.ru_stime
            time.sleep(0.1)
        os.killpg(os.getpgid(self.proc.pid), signal.SIGKILL)
        _, _, usage = os.wait4(self.proc.pid, 0)
        self.proc.returncode = -9
        return usage.ru_utime + usage.ru_stime


def wait_count(sink, n: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sink.count() >= n:
            return True
        time.sleep(0.02)
    return sink.count() >= n


def floor_rate(sink, raw: bytes, n: int) -> float:
    conn = smtplib.SMTP("127.0.0.1", sink.port)
    start = time.perf_counter()
    for i in range(n):
        conn.sendmail("befragung@example.org", [f"floor{i}@floor.example"], raw)
    elapsed = time.perf_counter() - start
    conn.quit()
    return n / elapsed


def achieved_rate(sink) -> float:
    times = sorted(m.at for m in sink.messages)
    return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=1600)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--throttled", type=int, default=600, help="messages in the throttled run")
    args = parser.parse_args()

    recreate_db()
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings", DATABASE_URL=f"{PG}/{DB_NAME}", REDIS_URL=REDIS_URL,
        CELERY_BROKER_URL=REDIS_URL, RUECKLAUF_TESTING="1", SITE_URL="https://befragung.example",
        MAIL_RATE="0", MAIL_RATE_PER_DOMAIN="0", LOG_LEVEL="WARNING",
    )
    from harness.smtp_sink import Sink

    sink = Sink()
    sink.__enter__()
    os.environ.update(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(sink.port))
    import logging

    logging.getLogger("mail.log").setLevel(logging.WARNING)
    import django

    django.setup()
    import redis
    from django.core.management import call_command

    from invitations.models import Member, OutboxMessage, groessenklasse
    from invitations.outbox import mail
    from surveys.models import Survey

    redis.Redis.from_url(REDIS_URL).flushdb()
    call_command("migrate", verbosity=0)
    def keep_first(n: int) -> None:
        surplus = list(Member.objects.order_by("pk").values_list("pk", flat=True)[n:])
        Member.objects.filter(pk__in=surplus).delete()

    log = Path("/tmp") / f"bench_mail_worker_{os.getpid()}.log"
    worker = None
    try:
        survey = Survey.objects.create(slug="bench", title="Wie nutzen Kommunen Social Media?",
                                       status=Survey.Status.OPEN, organisers="KGSt",
                                       contact_email="befragung@kgst.example")
        Member.objects.bulk_create([
            Member(ags=str(10_000_000 + i), name=f"Gemeinde {i}", land="Bayern", typ="Gemeinde", einwohner=5000 + i,
                   groessenklasse=groessenklasse(5000 + i), email=f"rathaus{i}@gemeinde{i % 400}.example")
            for i in range(args.members)
        ], batch_size=1000)
        print(f"machine: {os.cpu_count()} CPUs, load average {load()} (other processes share it)")

        # 1. floor, with a message of the real size
        from invitations.models import Invitation

        sample = Invitation.objects.create(survey=survey, member=Member.objects.first())
        rendered = mail.render_mail(sample, "invitation")
        probe = OutboxMessage(invitation=sample, step="probe", to_email="x@floor.example", subject=rendered.subject,
                              body_text=rendered.body_text, body_html=rendered.body_html,
                              message_id=mail.new_message_id())
        raw = mail.as_bytes(mail.build_email(probe))
        sample.delete()
        floor = floor_rate(sink, raw, args.members)
        print(f"floor: bare smtplib over one connection: {floor:,.0f} msg/s "
              f"({args.members} × {len(raw):,} bytes; {args.members / floor:.2f} s for {args.members})")
        sink.clear()

        # 2. throttle off
        worker = Worker(args.concurrency, {"MAIL_RATE": "0", "MAIL_RATE_PER_DOMAIN": "0"}, log)
        start = time.perf_counter()
        cpu_start = time.process_time()
        call_command("send_invitations", "bench", stdout=open(os.devnull, "w"))
        queued = time.perf_counter() - start
        queue_cpu = time.process_time() - cpu_start
        ok = wait_count(sink, args.members, timeout=300)
        total = time.perf_counter() - start
        counts = sink.per_recipient()
        print(f"throttle off: {args.members} invitations, worker concurrency {args.concurrency}: "
              f"send_invitations returned after {queued:.2f} s; last accepted after {total:.2f} s "
              f"→ {args.members / total:,.0f} msg/s = {args.members / total / floor:.1%} of the floor"
              + ("" if ok else f"  (TIMEOUT: only {sink.count()} received)"))
        print(f"  target ≤ 30 s: {'met' if ok and total <= 30 else 'NOT met'}; "
              f"distinct recipients {len(counts)}, max per recipient {max(counts.values())}")
        worker_cpu = worker.stop()
        per_msg = (worker_cpu + queue_cpu) / args.members
        print(f"  CPU per message (load-independent): worker {worker_cpu / args.members * 1000:.1f} ms "
              f"+ queueing {queue_cpu / args.members * 1000:.1f} ms (PostgreSQL and Redis not counted) "
              f"→ at most {os.cpu_count() / per_msg:,.0f} msg/s if this machine's {os.cpu_count()} CPUs were ours")

        # 3. throttle on, overall rate
        keep_first(args.throttled)
        Survey.objects.create(slug="bench-rate", title="Rate", status=Survey.Status.OPEN)
        sink.clear()
        redis.Redis.from_url(REDIS_URL).flushdb()
        worker = Worker(args.concurrency, {"MAIL_RATE": str(args.rate), "MAIL_RATE_PER_DOMAIN": "0"}, log)
        start = time.perf_counter()
        call_command("send_invitations", "bench-rate", stdout=open(os.devnull, "w"))
        ok = wait_count(sink, args.throttled, timeout=args.throttled / args.rate * 3 + 30)
        rate = achieved_rate(sink)
        print(f"throttle on: MAIL_RATE={args.rate:g}, {sink.count()} messages: achieved {rate:.2f} msg/s "
              f"= {rate / args.rate:.1%} of configured (target within ±10 %: "
              f"{'met' if abs(rate / args.rate - 1) <= 0.10 else 'NOT met'})" + ("" if ok else "  (TIMEOUT)"))
        worker.stop()

        # 4. per-domain throttle: two receiving domains at 10/s each
        keep_first(200)
        for i, member in enumerate(Member.objects.order_by("pk")):
            member.email = f"m{i}@{'alpha' if i % 2 else 'beta'}.example"
            member.save(update_fields=["email"])
        Survey.objects.create(slug="bench-domain", title="Domain", status=Survey.Status.OPEN)
        sink.clear()
        redis.Redis.from_url(REDIS_URL).flushdb()
        worker = Worker(args.concurrency, {"MAIL_RATE": "0", "MAIL_RATE_PER_DOMAIN": "10"}, log)
        call_command("send_invitations", "bench-domain", stdout=open(os.devnull, "w"))
        ok = wait_count(sink, 200, timeout=60)
        per_domain = {}
        for domain in ("alpha.example", "beta.example"):
            times = sorted(m.at for m in sink.messages if m.rcpt.endswith(domain))
            per_domain[domain] = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
        print("per-domain throttle: MAIL_RATE_PER_DOMAIN=10, 2 domains: "
              + ", ".join(f"{d} {r:.2f} msg/s ({r / 10:.1%})" for d, r in per_domain.items())
              + f"; overall {achieved_rate(sink):.2f} msg/s" + ("" if ok else "  (TIMEOUT)"))
        print(f"load average at the end: {load()}")
    finally:
        if worker:
            worker.stop()
        sink.__exit__(None, None, None)
        from django.db import connections

        connections.close_all()
        drop_db()
        redis.Redis.from_url(REDIS_URL).flushdb()
        log.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
