"""Export services: run ExportJobs (the file comes from exports.formats.registry.build_export) and
ResultSets, sweep stuck jobs and expired files. Celery tasks are thin wrappers around these functions.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.db import connection, connections, transaction
from django.db.models import F, Q
from django.utils import timezone

from exports import storage
from exports.analysis import aggregation
from exports.analysis.rawsql import sql
from exports.formats import registry
from exports.models import ExportJob, ResultSet
from responses.models import Response
from surveys.models import Survey

logger = logging.getLogger(__name__)



def download_name(job: ExportJob) -> str:
    stamp = timezone.localtime(job.finished_at or timezone.now()).strftime("%Y-%m-%d_%H%M")
    partial = "_mit-teilantworten" if job.include_partial else ""
    variant = "_veroeffentlichung" if job.publication else ""
    exporter = registry.get(job.format)
    return f"{job.survey.slug}{exporter.download_label}_{stamp}{partial}{variant}{exporter.extensions[0]}"


_PROGRESS_SQL = sql("UPDATE {Job} SET {Job.progress} = %s, {Job.heartbeat_at} = %s WHERE {Job.id} = %s "
                    "AND {Job.attempts} = %s", Job=ExportJob)


class JobProgress:
    """Writes progress and heartbeat of a job on its own autocommit connection, so they are
    visible while the export reads inside its snapshot transaction. At most one write per second
    unless the percentage changes by 5 or more."""

    def __init__(self, job_id: int, attempt: int) -> None:
        self.job_id = job_id
        self.attempt = attempt
        self.last_pct = -100
        self.last_time = 0.0
        self.conn = connections.create_connection("default") if connection.vendor == "postgresql" else None

    def __call__(self, pct: int) -> None:
        now = time.monotonic()
        if pct - self.last_pct < 5 and now - self.last_time < 1.0 and pct != 100:
            return
        self.last_pct, self.last_time = pct, now
        conn = self.conn or connection
        with conn.cursor() as cursor:
            cursor.execute(_PROGRESS_SQL, [min(pct, 99), timezone.now(), self.job_id, self.attempt])

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


def claim_job(job_id: int) -> ExportJob | None:
    """queued → running (once); None when the job is gone or not queued (duplicate delivery)."""
    now = timezone.now()
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED).update(
        status=ExportJob.Status.RUNNING, started_at=now, heartbeat_at=now, progress=0, error="",
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return None
    return ExportJob.objects.select_related("survey").get(pk=job_id)


def run_job(job_id: int) -> None:
    job = claim_job(job_id)
    if job is None:
        logger.info("export job %s not queued any more, nothing to do", job_id)
        return
    directory = storage.ensure_directory()
    name = f"{secrets.token_urlsafe(24)}{registry.get(job.format).extensions[0]}"
    partial_file = directory / f"{name}.part"
    progress = JobProgress(job.pk, job.attempts)
    try:
        registry.build_export(job.survey, job.format, partial_file, job.include_partial, progress,
                     publication=job.publication, options=job.options or None)
        os.replace(partial_file, directory / name)
    except Exception as exc:
        partial_file.unlink(missing_ok=True)
        logger.exception("export job %s failed", job.pk)
        ExportJob.objects.filter(pk=job.pk, attempts=job.attempts).update(
            status=ExportJob.Status.FAILED, finished_at=timezone.now(),
            error=f"Der Export ist fehlgeschlagen ({type(exc).__name__}: {str(exc)[:300]}).",
        )
        return
    finally:
        progress.close()
    now = timezone.now()
    updated = ExportJob.objects.filter(pk=job.pk, attempts=job.attempts).update(
        status=ExportJob.Status.DONE, progress=100, file=f"{storage.EXPORT_DIR}/{name}",
        size=(directory / name).stat().st_size, finished_at=now, heartbeat_at=now, error="",
        expires_at=now + timedelta(hours=settings.EXPORT_EXPIRY_HOURS),
    )
    if not updated:  # a retry took over meanwhile; its own file wins
        (directory / name).unlink(missing_ok=True)


def _requeue_seconds() -> int:
    return int(os.getenv("EXPORT_REQUEUE_SECONDS", "120"))


def _send(task: Any, pk: int) -> bool:
    """Queue a task; with the broker down the row stays queued and the sweep sends it again."""
    try:
        task.delay(pk)
    except Exception:
        logger.warning("could not queue %s(%s); the sweep will queue it again", task.name, pk, exc_info=True)
        return False
    return True


def enqueue_job(job: ExportJob) -> None:
    from exports.tasks import run_export_job

    transaction.on_commit(lambda: _send(run_export_job, job.pk))


def create_job(survey: Survey, fmt: str, include_partial: bool, user: Any, publication: bool = False,
               options: dict[str, Any] | None = None) -> ExportJob:
    job = ExportJob.objects.create(survey=survey, format=fmt, include_partial=include_partial, requested_by=user,
                                   publication=publication, options=options or {})
    enqueue_job(job)
    return job


def retry_job(job: ExportJob) -> bool:
    """A failed (or expired) job goes back to the queue; False when it is not retryable."""
    updated = ExportJob.objects.filter(
        pk=job.pk, status__in=[ExportJob.Status.FAILED, ExportJob.Status.EXPIRED]
    ).update(status=ExportJob.Status.QUEUED, progress=0, error="", file="", size=0, started_at=None,
             heartbeat_at=None, finished_at=None, expires_at=None)
    if updated:
        enqueue_job(job)
    return bool(updated)


STUCK_MESSAGE = (
    "Der Export wurde abgebrochen: Der Hintergrundprozess hat sich seit {minutes} Minuten nicht gemeldet "
    "(z. B. nach einem Neustart). Bitte starten Sie den Export erneut."
)


def sweep(now: Any = None) -> dict[str, int]:
    """Stuck running jobs → failed; expired files deleted; left-over partial files removed."""
    now = now or timezone.now()
    minutes = settings.EXPORT_STUCK_MINUTES
    stale = now - timedelta(minutes=minutes)
    stuck = ExportJob.objects.filter(status=ExportJob.Status.RUNNING).filter(
        Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True, started_at__lt=stale)
    ).update(status=ExportJob.Status.FAILED, finished_at=now, error=STUCK_MESSAGE.format(minutes=minutes))
    stuck_results = ResultSet.objects.filter(status=ResultSet.Status.RUNNING, requested_at__lt=stale).update(
        status=ResultSet.Status.FAILED, error=STUCK_MESSAGE.format(minutes=minutes)
    )
    expired = 0
    for job in ExportJob.objects.filter(status=ExportJob.Status.DONE, expires_at__lt=now):
        if job.file:
            job.file.storage.delete(job.file.name)
        ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.DONE).update(
            status=ExportJob.Status.EXPIRED, file="", size=0
        )
        expired += 1
    removed = 0
    directory = storage.directory()
    if directory.is_dir():
        for part in directory.glob("*.part"):
            if part.stat().st_mtime < stale.timestamp():
                part.unlink(missing_ok=True)
                removed += 1
        for temp in directory.glob(f"{storage.TEMP_PREFIX}*"):  # left by a killed export
            if _last_write(temp) < stale.timestamp():
                shutil.rmtree(temp, ignore_errors=True)
                removed += 1
    requeued = requeue_waiting(now)
    return {"stuck": stuck, "stuck_results": stuck_results, "expired": expired, "partial_files": removed,
            "requeued": requeued}


def _last_write(directory: Path) -> float:
    """When anything in `directory` was last written (a running export keeps writing its sheets)."""
    return max((p.stat().st_mtime for p in directory.iterdir()), default=directory.stat().st_mtime)


def requeue_waiting(now: Any) -> int:
    """Queue again what has waited too long: its message was lost (broker restarted, or down when
    the job was created). A duplicate message is harmless: jobs are claimed from "queued" once."""
    from exports.tasks import compute_result_set, run_export_job

    before = now - timedelta(seconds=_requeue_seconds())
    jobs = ExportJob.objects.filter(status=ExportJob.Status.QUEUED, created_at__lt=before).values_list("pk", flat=True)
    sets = ResultSet.objects.filter(status=ResultSet.Status.QUEUED, requested_at__lt=before).values_list("pk",
                                                                                                       flat=True)
    return sum(_send(run_export_job, pk) for pk in jobs) + sum(_send(compute_result_set, pk) for pk in sets)


def job_path(job: ExportJob) -> Path | None:
    """The stored file of a finished, unexpired job (never a path from the request)."""
    if job.status != ExportJob.Status.DONE or not job.file:
        return None
    if job.expires_at and job.expires_at < timezone.now():
        return None
    try:
        path = Path(job.file.path)
    except SuspiciousFileOperation:
        return None
    root = storage.directory().resolve()
    if path.resolve().parent != root or not path.is_file():
        return None
    return path


# --- result sets ---------------------------------------------------------------------------


def kept_after_purge(survey: Survey, include_partial: bool) -> ResultSet | None:
    """The result tables purge_personal_data stored, while the survey has no responses since:
    there is nothing left to count, so they stay the results."""
    if Response.objects.filter(survey=survey).exists():
        return None
    return (ResultSet.objects.filter(survey=survey, include_partial=include_partial, status=ResultSet.Status.DONE,
                                     tables__has_key="purged_at").order_by("-pk").first())


def request_results(survey: Survey, include_partial: bool) -> ResultSet:
    """A new result set, queued for a worker; after a purge the stored one (see kept_after_purge)."""
    from exports.tasks import compute_result_set

    kept = kept_after_purge(survey, include_partial)
    if kept is not None:
        return kept
    result_set = ResultSet.objects.create(survey=survey, include_partial=include_partial)
    transaction.on_commit(lambda: _send(compute_result_set, result_set.pk))
    return result_set


def compute_results(result_set_id: int) -> None:
    claimed = ResultSet.objects.filter(pk=result_set_id, status=ResultSet.Status.QUEUED).update(
        status=ResultSet.Status.RUNNING
    )
    if not claimed:
        return
    result_set = ResultSet.objects.select_related("survey").get(pk=result_set_id)
    try:
        tables = aggregation.compute_tables(result_set.survey, result_set.include_partial)
    except Exception as exc:
        logger.exception("result set %s failed", result_set_id)
        ResultSet.objects.filter(pk=result_set_id).update(
            status=ResultSet.Status.FAILED, error=f"{type(exc).__name__}: {str(exc)[:300]}"
        )
        return
    ResultSet.objects.filter(pk=result_set_id).update(
        status=ResultSet.Status.DONE, tables=tables, computed_at=timezone.now(), error=""
    )


def latest_results(survey: Survey, include_partial: bool) -> tuple[ResultSet | None, ResultSet | None]:
    """(latest finished result set, a newer one still queued/running or failed)."""
    sets = ResultSet.objects.filter(survey=survey, include_partial=include_partial)
    done = sets.filter(status=ResultSet.Status.DONE).order_by("-computed_at", "-pk").first()
    newer = sets.exclude(status=ResultSet.Status.DONE)
    if done:
        newer = newer.filter(requested_at__gte=done.requested_at)
    return done, newer.order_by("-requested_at", "-pk").first()
