"""The periodic sweep (Celery beat, every 5 minutes: exports.tasks.sweep_exports): jobs and result sets
whose worker stopped reporting fail with a clear message, expired files are deleted, files a killed
export left behind are removed, and what waited too long for a worker is found so that it can be
queued again (its message was lost: broker restarted, or down when the row was created).
"""

from __future__ import annotations

import os
import shutil
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db.models import Q

from exports import storage
from exports.models import ExportJob, ResultSet

STUCK_MESSAGE = (
    "Der Export wurde abgebrochen: Der Hintergrundprozess hat sich seit {minutes} Minuten nicht gemeldet "
    "(z. B. nach einem Neustart). Bitte starten Sie den Export erneut."
)


def clean_up(now: datetime) -> dict[str, int]:
    """Stuck running jobs → failed; expired files deleted; left-over partial files removed."""
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
    return {"stuck": stuck, "stuck_results": stuck_results, "expired": expired, "partial_files": removed}


def _last_write(directory: Path) -> float:
    """When anything in `directory` was last written (a running export keeps writing its sheets)."""
    return max((p.stat().st_mtime for p in directory.iterdir()), default=directory.stat().st_mtime)


def _requeue_seconds() -> int:
    return int(os.getenv("EXPORT_REQUEUE_SECONDS", "120"))


def waiting(now: datetime) -> tuple[list[int], list[int]]:
    """(export jobs, result sets) still queued after EXPORT_REQUEUE_SECONDS. Queueing them again is
    harmless if their message was only slow: both are claimed from "queued" once."""
    before = now - timedelta(seconds=_requeue_seconds())
    jobs = ExportJob.objects.filter(status=ExportJob.Status.QUEUED, created_at__lt=before).values_list("pk", flat=True)
    sets = ResultSet.objects.filter(status=ResultSet.Status.QUEUED, requested_at__lt=before).values_list("pk",
                                                                                                       flat=True)
    return list(jobs), list(sets)
