"""What the responses app tells others. Apps further down the line (exports) listen to these
signals, so the imports keep pointing one way (responses never imports exports)."""

from __future__ import annotations

import logging

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

# Sent after the transaction that changed a survey's answers has committed: a page saved with new
# answers, a response submitted, a submitted response reopened. Keyword argument: survey_id.
answers_changed = Signal()


def announce_change(survey_id: int) -> None:
    """Send `answers_changed` once the current transaction commits (never for a rolled-back save).

    Receivers run robustly: whatever fails in them is logged and never reaches the respondent,
    whose answers are stored by then."""
    def send() -> None:
        for receiver, result in answers_changed.send_robust(sender=None, survey_id=survey_id):
            if isinstance(result, Exception):
                logger.warning("answers_changed receiver %r failed: %r", receiver, result)

    transaction.on_commit(send)
