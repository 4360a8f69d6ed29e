"""Redis (broker and cache) goes away while a real worker runs an export, and comes back empty.

Celery 5.7 / kombu 5.7 used to end this with "Unrecoverable error: AttributeError('NoneType' object
has no attribute 'hostname')" in the worker's main process, which then stayed alive without taking
tasks again: closing the broken connection tried to hand the running export's unacknowledged
(acks_late) message back to Redis through a transport that had already been detached.

Here the export is held at a known point instead of racing it: the test locks the job's row, so
the task (delivered, unacknowledged, executing in a pool process) waits in its claim UPDATE while
Redis is stopped and the worker notices. Redis starts again on the same port, the lock goes, and
the export must finish; a new export sent afterwards must run too — on the same worker, or on a
restarted one if the worker chose to exit (a supervisor would restart it).
"""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection

from exports import tasks
from exports.models import ExportJob
from exports.tasks import run_export_job
from harness.servers import PrivateRedis
from tests.worker import start_worker, stop_worker, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def redis_server():
    server = PrivateRedis()
    server.start()
    yield server
    server.cleanup()


def _dsn() -> str:
    db = connection.settings_dict
    return f"postgresql://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _send(app, url: str, job_id: int) -> None:
    """Publish on the private broker (the test process's own broker settings stay untouched)."""
    with app.connection_for_write(url) as conn:
        run_export_job.apply_async(args=[job_id], connection=conn)


def _claim_waiting() -> bool:
    """The worker's claim UPDATE of the job row waits for the test's row lock (asked outside the
    locking transaction: pg_stat_activity keeps one snapshot per transaction)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND query ILIKE 'UPDATE%%exports_exportjob%%'"
        )
        return cursor.fetchone()[0] > 0


def _status(pk: int) -> str:
    return ExportJob.objects.get(pk=pk).status


def test_redis_restarted_during_an_export(real_celery, kgst_survey, redis_server, tmp_path):
    url = redis_server.url(0)
    log = tmp_path / "worker.log"
    env = {"CELERY_BROKER_URL": url, "REDIS_URL": url, "CELERY_VISIBILITY_TIMEOUT": "3600"}
    proc = start_worker(extra_env=env, log=log)
    lock = psycopg.connect(_dsn())  # a transaction stays open: the row lock holds until rollback
    try:
        assert wait_for(lambda: "ready." in log.read_text(), timeout=60), log.read_text()[-3000:]
        job = ExportJob.objects.create(survey=kgst_survey, format="xlsx")
        lock.execute("SELECT id FROM exports_exportjob WHERE id = %s FOR UPDATE", [job.pk])
        _send(real_celery, url, job.pk)
        assert wait_for(_claim_waiting, timeout=60), log.read_text()[-3000:]

        redis_server.stop()
        assert wait_for(lambda: "Connection to broker lost" in log.read_text(), timeout=60), log.read_text()[-3000:]
        redis_server.start()  # same port, empty
        lock.rollback()

        assert wait_for(lambda: _status(job.pk) in ("done", "failed"), timeout=120), log.read_text()[-5000:]
        job.refresh_from_db()
        assert job.status == "done" and job.attempts == 1 and job.size > 0, (job.status, job.error)

        if proc.poll() is not None:  # the worker gave up: it must say so with a failure exit status
            assert proc.returncode != 0
            proc = start_worker(extra_env=env, log=log)
        second = ExportJob.objects.create(survey=kgst_survey, format="csv")
        _send(real_celery, url, second.pk)
        assert wait_for(lambda: _status(second.pk) == "done", timeout=90), log.read_text()[-5000:]
        assert tasks.sweep()["stuck"] == 0
        assert "Unrecoverable error" not in log.read_text(), log.read_text()[-5000:]
    finally:
        lock.close()
        stop_worker(proc, kill=True)
