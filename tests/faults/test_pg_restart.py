"""PostgreSQL restarted while respondents save pages (bench/drills/pg_restart.py).

Runs the app under gunicorn (DEBUG=0) against a private PostgreSQL cluster started for this
test, so restarting it disturbs no other test run: respondents see the friendly 503 page and
never a traceback, the app serves again by itself, and no confirmed answer is lost.
"""

import os
import shutil

import pytest

from harness import pg_restart
from harness.servers import PG_BIN, PrivatePostgres

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(PG_BIN is None or not shutil.which("runuser") or os.geteuid() != 0,
                       reason="needs PostgreSQL's server binaries and root (to run them as user postgres)"),
]


def test_postgres_restart_during_page_saves(tmp_path):
    pg = PrivatePostgres()
    try:
        pg.start()
        result = pg_restart.run(pg, clients=4, before=3, after=6, down=2, out=tmp_path)
    finally:
        pg.cleanup()
    pg_restart.report(result)
    assert result["bad_outcomes"] == {}, "respondents saw something other than a page or the 503 page"
    assert result["outcomes_from_restart"].get("POST retry-page", 0) + \
        result["outcomes_from_restart"].get("GET retry-page", 0) > 0, "the outage was not noticed: drill too short"
    assert result["recovered_after"] is not None, "the app did not recover by itself"
    assert result["lost_or_wrong"] == []
    assert result["submitted_unchanged"] and result["submitted_before"] == 4
    assert result["passed"]
