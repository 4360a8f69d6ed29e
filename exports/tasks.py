"""Celery tasks of the exports app, and the one place that puts work on their queue.

Each task is thin: it calls one service in exports/jobs/. Those services never import this module,
so the imports point one way (tasks → jobs). Whatever needs a worker is queued from here: a new
export (`create_job`), a retry (`retry_job`), new result tables (`request_results`), the debounced
recomputation after answers changed (`plan_refresh`, see jobs/refresh.py) and what the periodic
sweep finds waiting (`sweep`). Messages are sent after the surrounding transaction commits; with
the broker down the row stays "queued" and the sweep sends it again.

Celery finds the tasks here (`autodiscover_tasks` imports `<app>.tasks`); the broker and the beat
schedule in config/settings.py know them by these names.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from celery import Task, shared_task
from django.db import transaction
from django.utils import timezone

from exports.jobs import exportjob, refresh, results
from exports.jobs.sweep import clean_up, waiting
from exports.models import ExportJob, ResultSet
from surveys.models import Survey

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def run_export_job(job_id: int) -> None:
    exportjob.run_job(job_id)


@shared_task(acks_late=True, ignore_result=True)
def compute_result_set(result_set_id: int) -> None:
    results.compute_results(result_set_id)


@shared_task(ignore_result=True)
def sweep_exports() -> dict[str, int]:
    return sweep()


@shared_task(acks_late=True, ignore_result=True)
def refresh_results(survey_id: int) -> None:
    """The debounced recomputation after answers changed (exports/jobs/refresh.py)."""
    refresh.refresh(survey_id)


# --- queueing ------------------------------------------------------------------------------


def _send(task: Task, pk: int) -> bool:
    """Queue a task; with the broker down the row stays queued and the sweep sends it again."""
    try:
        task.delay(pk)
    except Exception:
        logger.warning("could not queue %s(%s); the sweep will queue it again", task.name, pk, exc_info=True)
        return False
    return True


def _send_on_commit(task: Task, pk: int) -> None:
    transaction.on_commit(lambda: _send(task, pk))


def create_job(survey: Survey, fmt: str, include_partial: bool, user: Any, publication: bool = False,
               options: dict[str, Any] | None = None) -> ExportJob:
    """A new export job, built by a worker once the current transaction commits."""
    job = exportjob.new_job(survey, fmt, include_partial, user, publication=publication, options=options)
    _send_on_commit(run_export_job, job.pk)
    return job


def retry_job(job: ExportJob) -> bool:
    """A failed (or expired) job goes back to the queue; False when it is not retryable."""
    if not exportjob.reopen_job(job):
        return False
    _send_on_commit(run_export_job, job.pk)
    return True


def request_results(survey: Survey, include_partial: bool) -> ResultSet:
    """A new result set, queued for a worker; after a purge the stored one (results.kept_after_purge)."""
    kept = results.kept_after_purge(survey, include_partial)
    if kept is not None:
        return kept
    result_set = ResultSet.objects.create(survey=survey, include_partial=include_partial)
    _send_on_commit(compute_result_set, result_set.pk)
    return result_set


def plan_refresh(survey_id: int) -> bool:
    """Queue a recomputation a window from now unless one is already planned; True when queued."""
    seconds = refresh.window()
    if seconds <= 0 or not refresh.open_window(survey_id, seconds):
        return False
    try:
        refresh_results.apply_async((survey_id,), countdown=seconds)
    except Exception:
        refresh.close_window(survey_id)
        logger.warning("could not queue the recomputation of survey %s", survey_id, exc_info=True)
        return False
    return True


def on_answers_changed(sender: Any, survey_id: int, **kwargs: Any) -> None:
    """Receiver of responses.signals.answers_changed (connected in exports/apps.py)."""
    plan_refresh(survey_id)


def sweep(now: datetime | None = None) -> dict[str, int]:
    """The periodic clean-up (jobs/sweep.py), then queue again what waited too long for a worker."""
    now = now or timezone.now()
    report = clean_up(now)
    jobs, sets = waiting(now)
    sent = [_send(run_export_job, pk) for pk in jobs] + [_send(compute_result_set, pk) for pk in sets]
    report["requeued"] = sum(sent)
    return report
