"""The PostgreSQL-restart drill: respondents save pages while PostgreSQL is restarted.

Run from the command line by bench/drills/pg_restart.py and from tests/faults/test_pg_restart.py.
--clients respondents each own a personal link and save page after page (P1..P8 of the KGSt
questionnaire, answers varying per walk); a few more respondents submit before the restart. A
respondent whose save fails waits a moment and sends the page again, as the 503 page asks.
`run()` returns the figures, `report()` prints them.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from harness.answers import PAGES, answers_for
from harness.drills import (
    CSRF_RE,
    Respondent,
    app_env,
    classify,
    flatten,
    prepare,
    stored_answers,
    web,
)
from harness.serve import drop_database

REDIS_URL = "redis://127.0.0.1:6379/9"


@dataclass
class Walker:
    url: str
    pool_entry: dict[str, str]
    events: list[tuple[float, str, str]] = field(default_factory=list)  # (time, request, outcome)
    confirmed: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    pending: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def run(self, stop: threading.Event) -> None:
        respondent = Respondent(self.url, self.pool_entry["token"])
        walk = 0
        try:
            respondent.get(respondent.base)
            while not stop.is_set():
                for index, (page, _fields) in enumerate(PAGES):
                    fields = answers_for(index, walk)
                    while not stop.is_set() and not self.save(respondent, page, fields):
                        time.sleep(0.5)  # "send the page again in a few seconds"
                    if stop.is_set():
                        return
                walk += 1
        finally:
            respondent.close()

    def save(self, respondent: Respondent, page: str, fields: list[tuple[str, str]]) -> bool:
        try:
            reply, csrf, version = respondent.form(page)
        except OSError as exc:
            self.events.append((time.monotonic(), "GET", f"connection-error {type(exc).__name__}"))
            return False
        outcome = classify(reply)
        self.events.append((time.monotonic(), "GET", outcome if reply.status != 200 or csrf else "form-missing"))
        if reply.status != 200 or not csrf:
            return False
        self.pending[page] = fields
        try:
            reply = respondent.save(page, fields, csrf=csrf, version=version)
        except OSError as exc:
            self.events.append((time.monotonic(), "POST", f"connection-error {type(exc).__name__}"))
            return False
        outcome = classify(reply)
        if reply.status == 200:
            outcome = "conflict" if "jemand anderem" in reply.body.decode() else "form-error"
        self.events.append((time.monotonic(), "POST", outcome))
        if reply.status == 302:
            self.confirmed[page] = fields
            self.pending.pop(page, None)
            return True
        return False


def submit_some(url: str, entries: list[dict[str, str]]) -> int:
    done = 0
    for entry in entries:
        respondent = Respondent(url, entry["token"])
        respondent.get(respondent.base)
        for index, (page, _f) in enumerate(PAGES):
            assert respondent.save(page, answers_for(index, 0)).status == 302
        review = respondent.get(f"{respondent.base}pruefen/").body.decode()
        reply = respondent.post(f"{respondent.base}pruefen/",
                                [("csrfmiddlewaretoken", CSRF_RE.search(review).group(1)), ("aktion", "absenden")])
        done += reply.status == 302 and reply.location.endswith("/danke/")
        respondent.close()
    return done


def check_walker(walker: Walker, stored: dict[str, list[str]]) -> list[str]:
    problems = []
    for page, fields in PAGES:
        names = {name for name, _v in fields}
        have = {k: v for k, v in stored.items() if k in names}
        options = [flatten(walker.confirmed[page])] if page in walker.confirmed else [{}]
        if page in walker.pending:
            options.append(flatten(walker.pending[page]))
        if have not in options:
            problems.append(f"{walker.pool_entry['ags']} {page}: stored {have}, confirmed {options[0]}")
    return problems


def run(pg, clients: int = 8, before: float = 6.0, after: float = 10.0, down: float = 3.0,
        out: Path | None = None) -> dict:
    """Run the drill against `pg` (PrivatePostgres or SharedPostgres); returns the figures."""
    out = out or Path(tempfile.mkdtemp(prefix="rl_drill_pgrestart_"))
    env = app_env(pg.url("rl_load_pgdrill"), REDIS_URL, out, DB_CONN_MAX_AGE="60")
    pool = prepare(env, clients + 4, out)
    try:
        return _drill(pg, env, pool, clients, before, after, down, out)
    finally:
        drop_database(env["DATABASE_URL"])


def _drill(pg, env: dict, pool: list[dict], clients: int, before: float, after: float, down: float,
           out: Path) -> dict:
    result: dict = {"out": str(out)}
    with web(env, out) as url:
        result["submitted_before"] = submit_some(url, pool[clients:])
        snapshot = stored_answers(env["DATABASE_URL"])
        walkers = [Walker(url, entry) for entry in pool[:clients]]
        stop = threading.Event()
        threads = [threading.Thread(target=w.run, args=(stop,), daemon=True) for w in walkers]
        for thread in threads:
            thread.start()
        time.sleep(before)
        restart_at = time.monotonic()
        pg.restart(down)
        restarted_at = time.monotonic()
        time.sleep(after)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        gunicorn_log = (out / "gunicorn.log").read_text(errors="replace")
    events = sorted(e for w in walkers for e in w.events)
    during = [e for e in events if e[0] >= restart_at]
    first_ok_after = next((t for t, method, outcome in during if method == "POST" and outcome == "ok"
                           and t > restarted_at), None)
    stored = stored_answers(env["DATABASE_URL"])
    problems = [p for w in walkers for p in check_walker(w, stored.get(w.pool_entry["ags"], {}))]
    unchanged = all(stored.get(e["ags"]) == snapshot.get(e["ags"]) for e in pool[clients:])
    result.update(
        restart_seconds=restarted_at - restart_at,
        outcomes=dict(Counter(f"{m} {o}" for _t, m, o in events)),
        outcomes_from_restart=dict(Counter(f"{m} {o}" for _t, m, o in during if _t < (first_ok_after or 1e18))),
        recovered_after=None if first_ok_after is None else first_ok_after - restarted_at,
        confirmed_saves=sum(1 for _t, m, o in events if m == "POST" and o == "ok"),
        lost_or_wrong=problems, submitted_unchanged=unchanged,
        gunicorn_tracebacks=gunicorn_log.count("Traceback"),
    )
    bad = {k: v for k, v in result["outcomes"].items() if not k.endswith((" ok", " retry-page"))}
    result["bad_outcomes"] = bad
    result["passed"] = (not bad and not problems and unchanged and first_ok_after is not None
                        and result["submitted_before"] == len(pool) - clients)
    return result


def report(result: dict) -> None:
    print(f"PostgreSQL down (stop → start) for {result['restart_seconds']:.1f} s")
    print(f"answers seen by respondents (all): {result['outcomes']}")
    print(f"from the restart until the first successful save: {result['outcomes_from_restart']}")
    recovered = result["recovered_after"]
    print("first successful save " + (f"{recovered:.1f} s after PostgreSQL was back" if recovered is not None
                                       else "NEVER — the app did not recover"))
    print(f"saves confirmed: {result['confirmed_saves']}; confirmed answers missing or wrong in PostgreSQL: "
          f"{len(result['lost_or_wrong'])} {result['lost_or_wrong'][:5]}")
    print(f"responses submitted before the restart: {result['submitted_before']}, unchanged afterwards: "
          f"{result['submitted_unchanged']}")
    print(f"responses other than OK / the friendly 503 page: {result['bad_outcomes'] or 'none'}")
    print(f"tracebacks in the gunicorn log: {result['gunicorn_tracebacks']} (logged server-side, never shown)")
    print("RESULT: " + ("PASSED" if result["passed"] else "FAILED") + f" (files in {result['out']})")
