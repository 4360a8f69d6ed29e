"""Drill: the same personal link open in two browsers, both saving the same page at the same moment.

    .venv/bin/python -m bench.drills.race [--rounds 30]

Two respondents (separate cookies and connections) open the same link and the same page, so both
forms carry the same `_version`; then both POST different answers at once (threads released by a
barrier over already-open keep-alive connections). Every round must end with exactly one save
accepted (302), the other answered with the conflict message (200, nothing overwritten), no 500,
and the stored answers equal to exactly one of the two submissions — never a mix.
`race_rounds()` is also used by tests/faults/test_same_link_race.py against the test server.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from bench.drills.common import CONFLICT_TEXT, Respondent, app_env, flatten, prepare, stored_answers, web
from bench.serve import drop_database

PAGE = "P1"
NAMES = ("A1_bereich", "A1_bereich_6_text", "A2_beschaeftigte")


def fields_for(who: str, round_no: int) -> list[tuple[str, str]]:
    """Two submissions that differ in every variable of the page (a mix would show)."""
    if who == "A":
        return [("A1_bereich", "2"), ("A2_beschaeftigte", str(1000 + round_no))]
    return [("A1_bereich", "6"), ("A1_bereich_6_text", f"Browser B, Runde {round_no}"),
            ("A2_beschaeftigte", str(5000 + round_no))]


def race_rounds(url: str, token: str, stored: Callable[[], dict[str, list[str]]], rounds: int = 20) -> dict:
    """Run the race `rounds` times; returns the counts and every round that broke a rule."""
    browsers = {"A": Respondent(url, token), "B": Respondent(url, token)}
    outcomes: Counter = Counter()
    problems: list[str] = []
    try:
        for browser in browsers.values():
            browser.get(browser.base)
        for round_no in range(rounds):
            forms = {who: b.form(PAGE) for who, b in browsers.items()}
            versions = {f[2] for f in forms.values()}
            if len(versions) != 1 or any(f[0].status != 200 for f in forms.values()):
                problems.append(f"round {round_no}: forms not at one version: {versions}")
                continue
            replies: dict = {}
            barrier = threading.Barrier(2)

            def fire(who: str, round_no: int = round_no) -> None:
                _reply, csrf, version = forms[who]
                barrier.wait()
                replies[who] = browsers[who].save(PAGE, fields_for(who, round_no), csrf=csrf, version=version)

            threads = [threading.Thread(target=fire, args=(who,)) for who in browsers]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            kinds = {}
            for who, reply in replies.items():
                body = reply.body.decode("utf-8", "replace")
                kinds[who] = ("saved" if reply.status == 302 else
                              "conflict" if reply.status == 200 and CONFLICT_TEXT in body else f"status {reply.status}")
            outcomes[tuple(sorted(kinds.values()))] += 1
            winners = [who for who, kind in kinds.items() if kind == "saved"]
            have = {k: v for k, v in stored().items() if k in NAMES}
            if sorted(kinds.values()) != ["conflict", "saved"]:
                problems.append(f"round {round_no}: {kinds}")
            elif have != flatten(fields_for(winners[0], round_no)):
                problems.append(f"round {round_no}: stored {have}, winner {winners[0]} sent "
                                f"{flatten(fields_for(winners[0], round_no))}")
            outcomes[f"winner {winners[0] if winners else '-'}"] += 1
    finally:
        for browser in browsers.values():
            browser.close()
    return {"rounds": rounds, "outcomes": dict(outcomes), "problems": problems}


def report(result: dict) -> bool:
    print(f"rounds: {result['rounds']}; outcomes: {result['outcomes']}")
    print(f"rounds breaking a rule (not exactly one saved + one conflict, or stored ≠ the winner's answers): "
          f"{len(result['problems'])} {result['problems'][:5]}")
    passed = not result["problems"]
    print("RESULT: " + ("PASSED" if passed else "FAILED"))
    return passed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/rl_load_race")
    args = parser.parse_args()
    out = Path(tempfile.mkdtemp(prefix="rl_drill_race_"))
    env = app_env(args.database_url, "redis://127.0.0.1:6379/9", out)
    pool = prepare(env, 1, out)
    try:
        with web(env, out) as url:
            ags = pool[0]["ags"]
            result = race_rounds(url, pool[0]["token"], lambda: stored_answers(args.database_url).get(ags, {}),
                                 args.rounds)
    finally:
        drop_database(args.database_url)
    sys.exit(0 if report(result) else 1)


if __name__ == "__main__":
    main()
