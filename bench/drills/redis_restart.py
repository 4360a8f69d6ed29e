"""Drill: Redis stopped and started again (empty) during invitation sending and during exports.

    .venv/bin/python -m bench.drills.redis_restart            # a private redis-server (disturbs no one)
    .venv/bin/python -m bench.drills.redis_restart --shared   # the machine's Redis on 6379 (flushes every DB!)

Production setup: gunicorn (DEBUG=0), a Celery worker, Redis as broker and cache, an aiosmtpd sink
on 127.0.0.1, database `rl_load_redis`. Redis keeps nothing on disk, so a restart loses the
queue, unacknowledged tasks, throttle state and rate-limit counters — like the real thing.

1. Sending: `send_invitations` queues --members messages (MAIL_RATE 40/s); when the sink has
   received some, Redis is stopped. While it is down, a respondent answers the whole
   questionnaire and submits; a wrong link and a wrong access code are tried; /health/ is asked.
   Redis starts again (empty); the outbox sweep runs as beat would (every few seconds here instead
   of every minute) until nothing is queued. Every member must have exactly one message.
2. Exports: (a) a running export job while Redis stops must finish; (b) an export requested while
   Redis is down must not fail the request and must run once the sweep re-queues it; (c) an
   export queued while no worker runs, its message lost in a Redis restart, must run after the
   sweep re-queues it.
Prints what happened; exit status 0 when all checks pass.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from harness.drills import CSRF_RE, Respondent, app_env, classify, prepare, web
from harness.serve import django_snippet, drop_database, start_celery, stop_group
from harness.servers import PrivateRedis, SharedRedis, wait_for

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/rl_load_redis"
FULL_WALK = [
    ("P1", [("A1_bereich", "3"), ("A2_beschaeftigte", "420")]),
    ("P2", [("B1_nutzung", "2")]),
    ("P6", [("F1_hemmnisse", "8")]),
    ("P7", [("G2_einfuehrung", "1")]),
    ("P8", [("H2_ergebnisse", "2")]),
]


def respondent_while_down(url: str, token: str) -> dict:
    """A whole questionnaire (non-user branch), submitted, plus wrong link/code and /health/."""
    seen: Counter = Counter()
    browser = Respondent(url, token)
    reply = browser.get(browser.base)
    seen[classify(reply)] += 1
    for page, fields in FULL_WALK:
        reply = browser.save(page, fields)
        seen[classify(reply)] += 1
        seen["unexpected" if reply.status != 302 else "saved"] += 1
    review = browser.get(f"{browser.base}pruefen/")
    seen[classify(review)] += 1
    csrf = CSRF_RE.search(review.body.decode()).group(1)
    reply = browser.post(f"{browser.base}pruefen/", [("csrfmiddlewaretoken", csrf), ("aktion", "absenden")])
    submitted = reply.status == 302 and reply.location.endswith("/danke/")
    receipt = browser.get(f"{browser.base}danke/")
    seen[classify(receipt)] += 1
    wrong = browser.get("/s/" + "x" * 43 + "/")
    entry = browser.get("/s/")
    code = browser.post("/s/", [("csrfmiddlewaretoken", CSRF_RE.search(entry.body.decode()).group(1)),
                                ("code", "ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-ZZZZZ-Z")])
    health = browser.get("/health/")
    browser.close()
    return {"outcomes": dict(seen), "submitted": submitted, "wrong_link": wrong.status,
            "wrong_code": code.status, "health": (health.status, json.loads(health.body or b"{}"))}


OUTBOX = """
from collections import Counter
from invitations.models import OutboxMessage
print(dict(Counter(OutboxMessage.objects.values_list("status", flat=True))))
"""
SWEEP_OUTBOX = "from invitations.tasks import sweep_outbox\nsweep_outbox(stale_seconds=0)"
SWEEP_EXPORTS = "from exports.tasks import sweep\nimport json\nprint(json.dumps(sweep()))"
CREATE_JOB = """
from exports import tasks
from surveys.models import Survey
print(tasks.create_job(Survey.objects.get(slug="kgst-social-media-2013"), "xlsx", True, None).pk)
"""
JOB = """
import json
from exports.models import ExportJob
j = ExportJob.objects.get(pk={pk})
finished = j.status in (ExportJob.Status.DONE, ExportJob.Status.FAILED)
print(json.dumps({{"status": j.status, "finished": finished, "progress": j.progress, "attempts": j.attempts,
                  "error": j.error[:200]}}))
"""
GENERATE = """
from harness.answer_data import generate
from surveys.models import Survey
from surveys.structure import get_structure
survey = Survey.objects.get(slug="kgst-social-media-2013")
generate(survey, get_structure(survey), {n}, seed=5)
"""


def worker_answers(env: dict) -> bool:
    return django_snippet(env, "from config.celery import app\nprint(bool(app.control.ping(timeout=2)))") == "True"


def job(env: dict, pk: int) -> dict:
    return json.loads(django_snippet(env, JOB.format(pk=pk)))


def sending_phase(env: dict, url: str, server, pool: list[dict], members: int, sink) -> dict:
    # the shipped definition's deadline (2013) is over, and send_invitations refuses to send after it
    django_snippet(env, "from django.core.management import call_command\nfrom surveys.models import Survey\n"
                "Survey.objects.filter(slug='kgst-social-media-2013').update(closes_on=None)\n"
                "call_command('send_invitations', 'kgst-social-media-2013')")
    wait_for(lambda: sink.count() >= members // 5, timeout=60)
    server.stop()
    at_stop = sink.count()
    down_at = time.monotonic()
    during = respondent_while_down(url, pool[-1]["token"])
    time.sleep(max(0.0, 3 - (time.monotonic() - down_at)))
    server.start()
    down_for = time.monotonic() - down_at
    sweeps = 0
    while sweeps < 40:
        django_snippet(env, SWEEP_OUTBOX)
        sweeps += 1
        if wait_for(lambda: "queued" not in django_snippet(env, OUTBOX)
                    and "sending" not in django_snippet(env, OUTBOX), 5, 1):
            break
    per_rcpt = sink.per_recipient()
    emails = {f"rathaus{i}@last{i % 50}.example" for i in range(members)}
    return {
        "received_when_redis_stopped": at_stop, "redis_down_seconds": round(down_for, 1), "sweeps": sweeps,
        "outbox": django_snippet(env, OUTBOX), "received": sink.count(), "members": members,
        "twice": sum(1 for n in per_rcpt.values() if n > 1), "missing": len(emails - set(per_rcpt)),
        "respondent_while_down": during,
    }


def export_phase(env: dict, server, worker_box: dict, out: Path) -> dict:
    result: dict = {}
    # (a) a running export survives Redis going away
    pk = int(django_snippet(env, CREATE_JOB))
    wait_for(lambda: job(env, pk)["status"] == "running" and 0 < job(env, pk)["progress"] < 80, timeout=180,
             interval=0.2)
    state_at_stop = job(env, pk)
    server.stop()
    # (b) an export requested while Redis is down
    try:
        pk_b = int(django_snippet(env, CREATE_JOB))
        result["b_request"] = "accepted, " + job(env, pk_b)["status"]
    except RuntimeError as exc:
        pk_b = 0
        result["b_request"] = "FAILED: " + str(exc).strip().splitlines()[-1]
    wait_for(lambda: job(env, pk)["finished"], timeout=180, interval=1)
    result["a_running_when_redis_stopped"] = f"{state_at_stop['status']} at {state_at_stop['progress']} %"
    result["a_final"] = job(env, pk)
    server.start()
    # Does the worker consume again? (Celery/kombu 5.7 can hang for good when the broker goes away
    # while a task is running: "Unrecoverable error: AttributeError ... 'hostname'".)
    result["worker_after_outage"] = "answers" if wait_for(lambda: worker_answers(env), timeout=30, interval=2) \
        else "HUNG — no answer 30 s after Redis returned; restarted for the rest of the drill"
    if not result["worker_after_outage"] == "answers":
        stop_group(worker_box["proc"])
        worker_box["proc"] = start_celery(env, out / "celery.log")
    sweep_env = dict(env, EXPORT_REQUEUE_SECONDS="0")
    result["b_sweep"] = json.loads(django_snippet(sweep_env, SWEEP_EXPORTS))
    if pk_b:
        wait_for(lambda: job(env, pk_b)["finished"], timeout=180, interval=1)
        result["b_final"] = job(env, pk_b)
    # (c) a queued export whose message a Redis restart loses
    stop_group(worker_box["proc"])
    pk_c = int(django_snippet(env, CREATE_JOB))
    server.stop()
    server.start()
    worker_box["proc"] = start_celery(env, out / "celery.log")
    time.sleep(5)
    result["c_before_sweep"] = job(env, pk_c)["status"]
    result["c_sweep"] = json.loads(django_snippet(sweep_env, SWEEP_EXPORTS))
    wait_for(lambda: job(env, pk_c)["finished"], timeout=180, interval=1)
    result["c_final"] = job(env, pk_c)
    return result


def run(server, members: int = 300, responses: int = 3000, out: Path | None = None) -> dict:
    from harness.smtp_sink import Sink

    out = out or Path(tempfile.mkdtemp(prefix="rl_drill_redis_"))
    sink = Sink()
    sink.controller.start()
    env = app_env(DATABASE_URL, server.url(9), out, EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(sink.port),
                  MAIL_RATE="40", MAIL_RATE_PER_DOMAIN="0", MAIL_RETRY_BASE_SECONDS="1", EXPORT_CHUNK_SIZE="25",
                  SITE_URL="http://127.0.0.1:8000")
    try:
        pool = prepare(env, members + 1, out)
        worker = {"proc": start_celery(env, out / "celery.log")}
        try:
            with web(env, out) as url:
                sending = sending_phase(env, url, server, pool, members + 1, sink)
                django_snippet(env, GENERATE.format(n=responses), timeout=600)  # after sending: no mail to these
                exports = export_phase(env, server, worker, out)
        finally:
            stop_group(worker["proc"])
    finally:
        sink.controller.stop()
        drop_database(DATABASE_URL)
    log = (out / "gunicorn.log").read_text(errors="replace")
    return {"sending": sending, "exports": exports, "gunicorn_tracebacks": log.count("Traceback"), "out": str(out)}


def verdict(result: dict) -> list[str]:
    failures = []
    s, e = result["sending"], result["exports"]
    during = s["respondent_while_down"]
    if set(during["outcomes"]) - {"ok", "saved"} or not during["submitted"]:
        failures.append(f"respondent path while Redis was down: {during}")
    if during["wrong_link"] != 404 or during["wrong_code"] != 200:
        failures.append(f"wrong link/code while Redis was down: {during['wrong_link']}/{during['wrong_code']}")
    if s["twice"] or s["missing"] or s["received"] != s["members"]:
        failures.append(f"sending: {s['received']} of {s['members']} received, {s['twice']} twice, "
                        f"{s['missing']} missing")
    if not e["a_running_when_redis_stopped"].startswith("running"):
        failures.append("export (a) was not running when Redis stopped: use more --responses")
    if e["worker_after_outage"] != "answers":
        failures.append("the Celery worker stopped consuming after Redis went away during an export and had to be "
                        "restarted (see celery.log: Unrecoverable error ... 'hostname')")
    for key in ("a_final", "b_final", "c_final"):
        if e.get(key, {}).get("status") != "done" or e.get(key, {}).get("attempts") != 1:
            failures.append(f"export {key[0]}: {e.get(key)}")
    if result["gunicorn_tracebacks"]:
        failures.append(f"{result['gunicorn_tracebacks']} tracebacks in the gunicorn log")
    return failures


def report(result: dict) -> bool:
    s, e = result["sending"], result["exports"]
    print("== invitation sending ==")
    print(f"Redis stopped after {s['received_when_redis_stopped']} of {s['members']} messages, down "
          f"{s['redis_down_seconds']} s; outbox sweeps after it returned: {s['sweeps']}; outbox: {s['outbox']}")
    print(f"received by the SMTP sink: {s['received']}; members with two messages: {s['twice']}; "
          f"without: {s['missing']}")
    d = s["respondent_while_down"]
    print(f"respondent while Redis was down: {d['outcomes']}, submitted: {d['submitted']}; wrong link → "
          f"{d['wrong_link']}, wrong access code → {d['wrong_code']}; /health/ → {d['health'][0]} {d['health'][1]}")
    print("== exports ==")
    print(f"(a) running when Redis stopped ({e['a_running_when_redis_stopped']}): {e['a_final']}; "
          f"worker after Redis returned: {e['worker_after_outage']}")
    print(f"(b) requested while Redis was down: {e['b_request']}; sweep after Redis returned: {e['b_sweep']}; "
          f"then: {e.get('b_final')}")
    print(f"(c) message lost in a Redis restart: {e['c_before_sweep']} before the sweep; sweep: {e['c_sweep']}; "
          f"then: {e['c_final']}")
    print(f"tracebacks in the gunicorn log: {result['gunicorn_tracebacks']}")
    failures = verdict(result)
    for failure in failures:
        print("  FAILED: " + failure)
    print("RESULT: " + ("PASSED" if not failures else "FAILED") + f" (files in {result['out']})")
    return not failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", action="store_true", help="stop/start the machine's Redis on 6379")
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--responses", type=int, default=3000, help="generated responses (export size)")
    args = parser.parse_args()
    server = SharedRedis() if args.shared else PrivateRedis()
    if not args.shared:
        server.start()
    try:
        result = run(server, args.members, args.responses)
    finally:
        server.cleanup()
    sys.exit(0 if report(result) else 1)


if __name__ == "__main__":
    main()
