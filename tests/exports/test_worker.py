"""Export jobs with a REAL Celery worker: progress, done, download; SIGKILL mid-export → sweep → retry.
And one snapshot: responses committed while an export runs do not leak into it."""

import threading

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from exports import storage, tasks
from exports.formats import registry
from exports.jobs import exportjob
from exports.models import DownloadLog, ExportJob
from tests.worker import celery_worker, start_worker, stop_worker, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _job(pk):
    return ExportJob.objects.get(pk=pk)


def test_export_job_on_a_real_worker(real_celery, kgst_survey, generated, analyst_client, analyst_user,
                                     tmp_path):
    generated(1500, seed=21)
    seen = set()
    with celery_worker(extra_env={"EXPORT_CHUNK_SIZE": "50"}, log=tmp_path / "worker.log"):
        response = analyst_client.post(reverse("staff:export_create", args=[kgst_survey.slug]), {"format": "xlsx"})
        job = ExportJob.objects.get()
        assert response.status_code == 302

        def finished():
            current = _job(job.pk)
            seen.add((current.status, current.progress))
            return current.status in ("done", "failed")

        assert wait_for(finished, timeout=180, interval=0.1), (tmp_path / "worker.log").read_text()[-3000:]
    job.refresh_from_db()
    assert job.status == "done", job.error
    assert any(status == "running" and 0 < pct < 100 for status, pct in seen), seen
    page = analyst_client.get(reverse("staff:export_detail", args=[job.pk])).content.decode()
    assert "Datei herunterladen" in page
    # permission checks on the download
    anonymous = Client()
    assert anonymous.get(reverse("staff:export_download", args=[job.pk])).status_code == 302
    nobody = Client()
    nobody.force_login(User.objects.create_user("nobody", "n@example.org", "Test-Passwort-123"))
    assert nobody.get(reverse("staff:export_download", args=[job.pk])).status_code == 403
    assert not DownloadLog.objects.exists()
    download = analyst_client.get(reverse("staff:export_download", args=[job.pk]))
    assert download.status_code == 200 and len(b"".join(download.streaming_content)) == job.size
    assert DownloadLog.objects.get().user == analyst_user


def test_worker_killed_mid_export_then_sweep_and_retry(real_celery, kgst_survey, generated, analyst_client,
                                                       settings, tmp_path):
    generated(3000, seed=22)
    log = tmp_path / "worker.log"
    proc = start_worker(extra_env={"EXPORT_CHUNK_SIZE": "40"}, log=log)
    try:
        analyst_client.post(reverse("staff:export_create", args=[kgst_survey.slug]), {"format": "xlsx"})
        job = ExportJob.objects.get()
        assert wait_for(lambda: _job(job.pk).status == "running" and _job(job.pk).progress >= 10, timeout=120,
                        interval=0.05), log.read_text()[-3000:]
        stop_worker(proc, kill=True)
    finally:
        stop_worker(proc, kill=True)
    job.refresh_from_db()
    assert job.status == "running" and job.progress < 100
    # openpyxl's sheet files of the killed export are in its own directory, not in /tmp
    left = list((settings.MEDIA_ROOT / "exports").glob(f"{storage.TEMP_PREFIX}*"))
    assert len(left) == 1 and list(left[0].glob("sheet-*.xml"))
    # the sweep finds the job stuck (threshold 0 minutes here) and removes any half-written file
    settings.EXPORT_STUCK_MINUTES = 0
    result = tasks.sweep()
    assert result["stuck"] == 1
    assert not left[0].exists()
    job.refresh_from_db()
    assert job.status == "failed" and "erneut" in job.error
    page = analyst_client.get(reverse("staff:export_detail", args=[job.pk])).content.decode()
    assert "Export erneut starten" in page
    with celery_worker(log=log):
        response = analyst_client.post(reverse("staff:export_retry", args=[job.pk]))
        assert response.status_code == 302
        assert wait_for(lambda: _job(job.pk).status in ("done", "failed"), timeout=180), log.read_text()[-3000:]
    job.refresh_from_db()
    assert job.status == "done" and job.attempts == 2 and job.size > 0
    assert exportjob.job_path(job) is not None
    assert not list((settings.MEDIA_ROOT / "exports").glob("*.part"))


def test_one_snapshot_while_responses_arrive(kgst_survey, kgst_structure, generated, tmp_path):
    """Rows committed by another connection during an export are in neither its tables nor its data."""
    from openpyxl import load_workbook

    from harness.answer_data import insert_plans
    from tests.exports.conftest import make_plans

    generated(200, seed=23, partial_share=0.0)
    inserted = []

    def insert_elsewhere():
        from django.db import connection

        plans = make_plans(kgst_structure, 99, 50, partial_share=0.0)
        insert_plans(kgst_survey, kgst_structure, plans)
        connection.close()
        inserted.append(len(plans))

    def progress(pct):
        if pct == 5 and not inserted:  # tables done, data rows not yet read
            thread = threading.Thread(target=insert_elsewhere)
            thread.start()
            thread.join()

    path = tmp_path / "snap.xlsx"
    rows = registry.build_export(kgst_survey, "xlsx", path, progress=progress)
    assert inserted == [50]
    assert rows == 200
    wb = load_workbook(path, read_only=True)
    overview = {r[0]: r[1] for r in wb["Übersicht"].iter_rows(values_only=True) if len(r) > 1 and r[0]}
    assert overview["Abgeschickt"] == 200 and overview["Befragte in den Auswertungen"] == 200
    from responses.models import Response

    assert Response.objects.filter(status="submitted").count() == 250
