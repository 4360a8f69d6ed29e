"""The OData feed and the REST API at 100,000 responses, against the CSV export of the same data.

    .venv/bin/python -m bench.api_feed                       # 100,000 responses (several minutes)
    .venv/bin/python -m bench.api_feed --responses 5000      # quick look

1. Drops and creates the database `bench_api` (override with BENCH_DATABASE_URL), migrates, loads
   the KGSt questionnaire, seeds N generated responses (harness/answer_data.py, COPY; 10 % partial)
   and makes one API key of a staff user for the survey.
2. Measures in the same run:
   - CSV export: `build_export(csv)` of the submitted responses in a fresh process (the floor);
   - one gunicorn sync worker (the web process) serving the app:
     - first page latency of `/odata/<slug>/Responses` (median of 5, after one warm-up request);
     - every page of `Responses` (1,000 per page, following @odata.nextLink), wall time;
     - every page of `/api/v1/surveys/<slug>/responses/?page_size=1000` (following `next`), wall time;
     - peak RSS (VmHWM) of the worker process at the end.
3. Prints the figures and the ratios against the targets (feed and API ≤ 1.5 × CSV, first page
   ≤ 300 ms, worker ≤ 150 MB).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

from harness.serve import django_here, django_snippet, drop_database, gunicorn, manage, recreate_database

DB_URL = os.getenv("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_api")
REDIS_URL = os.getenv("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
SLUG = "kgst-social-media-2013"
DEFINITION = "surveys/definitions/kgst-social-media-2013.yaml"

CSV_CHILD = f"""
import tempfile, time, json
from pathlib import Path
from exports.formats.registry import build_export
from surveys.models import Survey
survey = Survey.objects.get(slug={SLUG!r})
with tempfile.TemporaryDirectory() as tmp:
    start = time.perf_counter()
    rows = build_export(survey, "csv", Path(tmp) / "data.csv")
    print(json.dumps({{"seconds": time.perf_counter() - start, "rows": rows}}))
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    for key in ("RUECKLAUF_TESTING", "CACHE_URL", "EMAIL_HOST", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(key, None)
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DATABASE_URL=DB_URL, REDIS_URL=REDIS_URL,
               CELERY_BROKER_URL=REDIS_URL, DEBUG="0", SECURE_HTTPS="0", SECRET_KEY="bench-api-" + "k" * 40,
               ALLOWED_HOSTS="127.0.0.1", LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1",
               SILENCED_SYSTEM_CHECKS="ruecklauf.E004",
               API_THROTTLE_RATE="1000000/min")  # the bench measures reading, not the throttle
    return env


def _seed(n: int) -> str:
    """N responses and an API key for the survey (returns the key)."""
    django_here(DB_URL)
    from django.db import connection

    from exports.api import keys
    from harness.answer_data import generate
    from surveys.models import Survey
    from surveys.structure import get_structure

    survey = Survey.objects.get(slug=SLUG)
    generate(survey, get_structure(survey), n, seed=n, partial_share=0.1)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    from django.contrib.auth.models import User

    user = User.objects.create_user("bench", "bench@example.org", "bench-password-123")
    from accounts import roles

    roles.grant(user, roles.OWNER)
    return keys.create_key(user, "bench", survey, 1).plain


def _get(url: str, key: str) -> bytes:
    auth = "Basic " + base64.b64encode(f"bench:{key}".encode()).decode()
    request = urllib.request.Request(url, headers={"Authorization": auth, "Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=300) as response:  # noqa: S310 (127.0.0.1 only)
        return response.read()


def _all_pages(first: str, key: str, rows_key: str, next_key: str) -> tuple[float, int, int]:
    """(seconds, rows, pages) for reading every page from `first`."""
    start = time.perf_counter()
    url: str | None = first
    rows = pages = 0
    while url:
        body = json.loads(_get(url, key))
        rows += len(body[rows_key])
        pages += 1
        url = body.get(next_key)
    return time.perf_counter() - start, rows, pages


def _worker_peak_mb(pidfile: Path) -> float:
    master = pidfile.read_text().strip()
    peaks = []
    for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split():
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
    return max(peaks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--page-size", type=int, default=500, help="ODATA_PAGE_SIZE and the API's page_size")
    args = parser.parse_args()
    env = _env()
    env["ODATA_PAGE_SIZE"] = str(args.page_size)
    print(f"load average before: {os.getloadavg()[0]:.1f} (2 cores; other work on the machine shows here)")
    recreate_database(DB_URL)
    try:
        manage(env, "migrate", "--verbosity", "0")
        manage(env, "load_survey", DEFINITION, "--verbosity", "0")
        started = time.perf_counter()
        key = _seed(args.responses)
        print(f"seeded {args.responses} responses in {time.perf_counter() - started:.0f} s")
        csv = json.loads(django_snippet({**env, "REDIS_URL": ""}, CSV_CHILD, timeout=3600).splitlines()[-1])
        with tempfile.TemporaryDirectory() as tmp:
            env["STATIC_ROOT"] = str(Path(tmp) / "static")
            manage(env, "collectstatic", "--noinput", "--verbosity", "0")
            pidfile = Path(tmp) / "gunicorn.pid"
            log = Path(tmp) / "gunicorn.log"
            with gunicorn(env, "sync", 1, 1, log, extra=("-p", str(pidfile), "--timeout", "600")) as url:
                feed_url = f"{url}/odata/{SLUG}/Responses"
                _get(f"{url}/odata/{SLUG}/", key)  # warm-up: imports, first connection
                first = []
                for _ in range(5):
                    start = time.perf_counter()
                    _get(feed_url, key)
                    first.append(time.perf_counter() - start)
                # each twice, alternating, best of two: the machine is shared and its load drifts
                feeds, apis = [], []
                for _ in range(2):
                    feeds.append(_all_pages(feed_url, key, "value", "@odata.nextLink"))
                    apis.append(_all_pages(f"{url}/api/v1/surveys/{SLUG}/responses/?page_size={args.page_size}",
                                           key, "results", "next"))
                feed_s, feed_rows, feed_pages = min(feeds)
                api_s, api_rows, api_pages = min(apis)
                peak = _worker_peak_mb(pidfile)
            if os.getenv("BENCH_SHOW_LOG"):
                print(log.read_text()[-3000:])
        first_ms = statistics.median(first) * 1000
        print(f"CSV export (build_export csv, own process): {csv['seconds']:.1f} s, {csv['rows']} rows")
        print(f"OData Responses, every page: {feed_s:.1f} s, {feed_rows} rows in {feed_pages} pages "
              f"= {feed_s / csv['seconds']:.2f} x CSV (target <= 1.5)")
        print(f"REST /api/v1/ responses, every page: {api_s:.1f} s, {api_rows} rows in {api_pages} pages "
              f"= {api_s / csv['seconds']:.2f} x CSV (target <= 1.5)")
        print(f"first page of Responses ({args.page_size} rows): median {first_ms:.0f} ms of 5 (target <= 300 ms)")
        print(f"web process (one gunicorn sync worker) peak RSS: {peak:.0f} MB (target <= 150 MB)")
        print(f"load average after: {os.getloadavg()[0]:.1f}")
        if feed_rows != csv["rows"] or api_rows != csv["rows"]:
            raise SystemExit("the feed, the API and the CSV do not hold the same number of responses")
    finally:
        if not args.keep:
            drop_database(DB_URL)


if __name__ == "__main__":
    main()
