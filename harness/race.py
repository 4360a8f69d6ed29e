"""The same personal link open in two browsers, both saving the same page at the same moment.

Run from the command line by bench/drills/race.py and from tests/faults/test_same_link_race.py
against the test server. Every round must end with exactly one save accepted (302), the other
answered with the conflict message (200, nothing overwritten), no 500, and the stored answers
equal to exactly one of the two submissions — never a mix.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

from harness.drills import CONFLICT_TEXT, Respondent, flatten

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

            def fire(who: str, round_no: int = round_no, forms: dict = forms, barrier: threading.Barrier = barrier,
                     replies: dict = replies) -> None:
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
