"""The audit trail: one append-only table of who did what, when, on which survey, from where.

`record` is the one way in. It never raises into the action it records: an action must not fail
because its log entry could not be written, so a database error is logged instead (and the
transaction of the action is not touched: the entry is written in its own savepoint).
"""

from __future__ import annotations

import ipaddress
import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import AuditEvent

log = logging.getLogger(__name__)


def client_address(request: HttpRequest) -> str:
    """REMOTE_ADDR, or behind a trusted proxy (BEHIND_PROXY) the address the proxy appended."""
    if settings.SECURE_PROXY_SSL_HEADER:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded.strip():
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR") or "unknown"


def _valid_address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def record(action: str, *, request: HttpRequest | None = None, user: Any = None, survey: Any = None,
           target: str = "", outcome: str = "ok", **detail: Any) -> AuditEvent | None:
    """Add one entry. `user` defaults to the request's user; `survey` is a Survey or None."""
    if user is None and request is not None:
        user = getattr(request, "user", None)
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    event = AuditEvent(
        actor=user, actor_name=(user.get_username() if user is not None else detail.pop("username", ""))[:150],
        action=action[:40], survey=survey, survey_slug=(getattr(survey, "slug", "") or "")[:100],
        target=str(target)[:300], outcome=outcome[:20],
        address=_valid_address(client_address(request)) if request is not None else None, detail=detail)
    try:
        with transaction.atomic():
            event.save()
    except DatabaseError:
        log.exception("audit entry %s could not be written", action)
        return None
    return event


def purge_expired(now: Any = None) -> int:
    """Remove entries older than settings.AUDIT_RETENTION_DAYS; returns how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.AUDIT_RETENTION_DAYS)
    deleted, _ = AuditEvent.objects.filter(at__lt=cutoff).delete()
    return deleted
