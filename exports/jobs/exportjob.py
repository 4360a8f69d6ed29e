"""An ExportJob's life: created queued, claimed once by a worker, written with progress and a
heartbeat, stored under a random name (exports/storage.py), downloaded, retried after a failure.
The file itself comes from exports.formats.registry.build_export; exports.tasks queues the jobs.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.db import connection, connections
from django.db.models import F
from django.utils import timezone

from exports import storage
from exports.analysis.rawsql import sql
from exports.formats import registry
from exports.models import ExportJob
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
        self.conn = connections.create_connection("default")

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


def new_job(survey: Survey, fmt: str, include_partial: bool, user: Any, publication: bool = False,
            options: dict[str, Any] | None = None) -> ExportJob:
    """A queued job (exports.tasks.create_job sends it to a worker)."""
    return ExportJob.objects.create(survey=survey, format=fmt, include_partial=include_partial, requested_by=user,
                                    publication=publication, options=options or {})


def reopen_job(job: ExportJob) -> bool:
    """A failed (or expired) job back to "queued", as if new; False when it is not retryable."""
    updated = ExportJob.objects.filter(
        pk=job.pk, status__in=[ExportJob.Status.FAILED, ExportJob.Status.EXPIRED]
    ).update(status=ExportJob.Status.QUEUED, progress=0, error="", file="", size=0, started_at=None,
             heartbeat_at=None, finished_at=None, expires_at=None)
    return bool(updated)


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
        storage.create_private(partial_file)
        registry.build_export(job.survey, job.format, partial_file, job.include_partial, progress,
                              publication=job.publication, options=job.options or None)
        storage.seal(partial_file)
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


