"""Drill: PostgreSQL restarted while respondents save pages.

    .venv/bin/python -m bench.drills.pg_restart              # a private PostgreSQL cluster (disturbs no one)
    .venv/bin/python -m bench.drills.pg_restart --shared     # the machine's cluster: pg_ctlcluster … restart

Production setup (gunicorn gthread, DEBUG=0, DB_CONN_MAX_AGE=60 with health checks). --clients
respondents each own a personal link and save page after page (P1..P8 of the KGSt questionnaire,
answers varying per walk); a few more respondents submit before the restart. After --before
seconds PostgreSQL is restarted (fast shutdown: every connection is cut). A respondent whose save
fails waits a moment and sends the page again, as the 503 page asks.

Checks: during the outage every answer is the friendly 503 page ("Bitte versuchen Sie es gleich
noch einmal"), never a traceback or another error; the app serves again without being restarted
(time from the restart to the first successful save); every answer the server confirmed before,
during or after the restart is stored (an unconfirmed save may be either state); the submitted
responses are unchanged. Prints the figures; exit status 0 when all checks pass.
"""

from __future__ import annotations

import argparse
import sys

from harness.pg_restart import report, run
from harness.servers import PrivatePostgres, SharedPostgres


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", action="store_true", help="restart the machine's PostgreSQL cluster")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--before", type=float, default=6.0, help="seconds of saves before the restart")
    parser.add_argument("--after", type=float, default=10.0, help="seconds of saves after the restart")
    parser.add_argument("--down", type=float, default=3.0,
                        help="seconds the private server stays stopped (--shared: a plain restart)")
    args = parser.parse_args()
    pg = SharedPostgres() if args.shared else PrivatePostgres()
    try:
        pg.start()
        result = run(pg, args.clients, args.before, args.after, args.down)
    finally:
        pg.cleanup()
    report(result)
    sys.exit(0 if result["passed"] else 1)


if __name__ == "__main__":
    main()
