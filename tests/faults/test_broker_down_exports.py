"""Exports and result tables requested while the broker (Redis) is down, or whose message a
Redis restart lost: no 500 for the analyst, the job waits as "queued" and the sweep queues it
again once the broker is back.
"""

import pytest
from django.urls import reverse
from kombu.exceptions import OperationalError

from exports import tasks
from exports.models import ExportJob, ResultSet


@pytest.fixture
def broker_down(monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.run_export_job, "delay", refuse)
    monkeypatch.setattr(tasks.compute_result_set, "delay", refuse)
    return monkeypatch


def test_export_requested_while_broker_down_waits_then_the_sweep_runs_it(
        analyst_client, kgst_survey, broker_down, monkeypatch, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = analyst_client.post(reverse("staff:export_create", args=[kgst_survey.slug]), {"format": "csv"})
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("staff:export_detail", args=[job.pk])
    assert job.status == ExportJob.Status.QUEUED
    assert analyst_client.get(response["Location"]).status_code == 200

    monkeypatch.undo()  # the broker is back (tasks run eagerly in tests)
    monkeypatch.setenv("EXPORT_REQUEUE_SECONDS", "3600")
    assert tasks.sweep()["requeued"] == 0  # not waiting long enough yet
    job.refresh_from_db()
    assert job.status == ExportJob.Status.QUEUED
    monkeypatch.setenv("EXPORT_REQUEUE_SECONDS", "0")
    assert tasks.sweep()["requeued"] == 1
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE and job.size > 0 and job.attempts == 1


def test_result_tables_requested_while_broker_down(analyst_client, kgst_survey, broker_down, monkeypatch,
                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = analyst_client.post(reverse("staff:results_refresh", args=[kgst_survey.slug]))
    assert response.status_code in (302, 303)
    result_set = ResultSet.objects.get()
    assert result_set.status == ResultSet.Status.QUEUED
    monkeypatch.undo()
    monkeypatch.setenv("EXPORT_REQUEUE_SECONDS", "0")
    assert tasks.sweep()["requeued"] == 1
    result_set.refresh_from_db()
    assert result_set.status == ResultSet.Status.DONE


def test_a_duplicate_message_does_not_run_a_job_twice(kgst_survey, monkeypatch, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = tasks.create_job(kgst_survey, "csv", False, None)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE and job.attempts == 1
    tasks.run_export_job.delay(job.pk)  # the sweep's extra message arriving after the job ran
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE and job.attempts == 1
