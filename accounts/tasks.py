"""Celery tasks of the accounts app (found by `autodiscover_tasks`; the beat schedule in
config/settings.py names them). Each is thin: it calls one service."""

from __future__ import annotations

from celery import shared_task

from accounts import audit


@shared_task(ignore_result=True)
def purge_audit() -> int:
    """Daily: remove audit entries older than AUDIT_RETENTION_DAYS."""
    return audit.purge_expired()
