"""Celery's pool process running an export is SIGKILLed (as the kernel's OOM killer would) while the
worker's main process lives on. The whole-worker SIGKILL is covered by
tests/exports/test_worker.py::test_worker_killed_mid_export_then_sweep_and_retry.

With acks_late and reject_on_worker_lost the main process hands the message back and it is
delivered again; the job must not be built twice or run forever: the second delivery finds the
job no longer queued and does nothing, the heartbeat stops, the sweep marks the job failed, and a
retry builds it once.
"""

import os
import signal
import subprocess
import time

import pytest

from exports import tasks
from exports.jobs import exportjob
from exports.models import ExportJob
from harness.answer_data import generate
from surveys.structure import get_structure
from tests.worker import start_worker, stop_worker, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def pool_children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in found]


def test_pool_process_killed_mid_export(real_celery, kgst_survey, settings, tmp_path):
    generate(kgst_survey, get_structure(kgst_survey), 2000, seed=31)
    log = tmp_path / "worker.log"
    proc = start_worker(concurrency=1, extra_env={"EXPORT_CHUNK_SIZE": "40"}, log=log)
    try:
        job = tasks.create_job(kgst_survey, "xlsx", False, None)
        assert wait_for(lambda: ExportJob.objects.get(pk=job.pk).progress >= 10, timeout=120, interval=0.05), \
            log.read_text()[-3000:]
        children = pool_children(proc.pid)
        assert len(children) == 1, children
        os.kill(children[0], signal.SIGKILL)
        assert wait_for(lambda: "WorkerLostError" in log.read_text() or "exited with" in log.read_text(),
                        timeout=30), log.read_text()[-3000:]
        time.sleep(3)  # the redelivered message reaches the new pool process meanwhile
        frozen = ExportJob.objects.get(pk=job.pk)
        time.sleep(3)
        job.refresh_from_db()
        assert proc.poll() is None, "the worker's main process should survive"
        assert job.status == "running" and job.attempts == 1 and job.progress < 100
        assert job.heartbeat_at == frozen.heartbeat_at, "someone is still building the file"
        assert not list((settings.MEDIA_ROOT / "exports").glob("*.xlsx"))

        settings.EXPORT_STUCK_MINUTES = 0
        assert tasks.sweep()["stuck"] == 1
        job.refresh_from_db()
        assert job.status == "failed" and "erneut" in job.error
        assert not list((settings.MEDIA_ROOT / "exports").glob("*.part"))
        assert tasks.retry_job(job)
        assert wait_for(lambda: ExportJob.objects.get(pk=job.pk).status in ("done", "failed"), timeout=180), \
            log.read_text()[-3000:]
    finally:
        stop_worker(proc)
    job.refresh_from_db()
    assert job.status == "done" and job.attempts == 2 and exportjob.job_path(job) is not None
    assert len(list((settings.MEDIA_ROOT / "exports").glob("*.xlsx"))) == 1
