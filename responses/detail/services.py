"""Reopening a submitted response on the member's request (staff).

Like every write to a response, it happens in one transaction that first locks the Response row
(see responses/respondent/services.py for the respondent's side of that protocol).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from responses.models import Response, ResponseEvent
from responses.respondent.services import REVIEW
from responses.signals import announce_change


def reopen(response: Response, user: Any, reason: str) -> bool:
    """Set a submitted response back to in progress on the member's request; False when it is not
    submitted (any more). The personal link leads to the review page again, and the answers stay.

    Logged as an event with who and why. As after any change of answers, `answers_changed` is sent
    once the transaction commits (result tables recompute), and `updated_at` moves on (cached figures
    are keyed by it).
    A response submitted before events were recorded first gets its submission as an event, so
    clearing `submitted_at` loses nothing of its history.
    """
    with transaction.atomic():
        locked = Response.objects.select_for_update().get(pk=response.pk)
        if not locked.is_submitted:
            return False
        now = timezone.now()
        if locked.submitted_at and not locked.events.filter(kind=ResponseEvent.Kind.SUBMITTED).exists():
            ResponseEvent.objects.create(response=locked, kind=ResponseEvent.Kind.SUBMITTED, at=locked.submitted_at)
        locked.status = Response.Status.STARTED
        locked.submitted_at = None
        locked.current_page = REVIEW
        locked.save(update_fields=["status", "submitted_at", "current_page", "updated_at"])
        ResponseEvent.objects.create(response=locked, kind=ResponseEvent.Kind.REOPENED, at=now, by=user,
                                     reason=reason.strip())
        announce_change(locked.survey_id)  # a submitted response fewer: results recompute (after commit)
    response.refresh_from_db()
    return True
