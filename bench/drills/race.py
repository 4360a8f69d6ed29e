"""Drill: the same personal link open in two browsers, both saving the same page at the same moment.

    .venv/bin/python -m bench.drills.race [--rounds 30]

Two respondents (separate cookies and connections) open the same link and the same page, so both
forms carry the same `_version`; then both POST different answers at once (threads released by a
barrier over already-open keep-alive connections). Every round must end with exactly one save
accepted (302), the other answered with the conflict message (200, nothing overwritten), no 500,
and the stored answers equal to exactly one of the two submissions — never a mix.
The rounds themselves are harness.race's, shared with tests/faults/test_same_link_race.py.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from harness.drills import app_env, prepare, stored_answers, web
from harness.race import race_rounds, report
from harness.serve import drop_database


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
