"""Result sets: the stored result tables of a survey (ResultSet), counted by a worker.

The results page shows the newest finished set and says when a newer one is on its way;
exports.tasks.request_results queues one, and jobs/refresh.py recomputes them after answers change.
"""

from __future__ import annotations

import logging

from django.utils import timezone

from exports.analysis import aggregation
from exports.models import ResultSet
from responses.models import Response
from surveys.models import Survey

logger = logging.getLogger(__name__)


def kept_after_purge(survey: Survey, include_partial: bool) -> ResultSet | None:
    """The result tables purge_personal_data stored, while the survey has no responses since:
    there is nothing left to count, so they stay the results."""
    if Response.objects.filter(survey=survey).exists():
        return None
    return (ResultSet.objects.filter(survey=survey, include_partial=include_partial, status=ResultSet.Status.DONE,
                                     tables__has_key="purged_at").order_by("-pk").first())


def compute_results(result_set_id: int) -> None:
    """Count a queued result set (once: a duplicate message finds it claimed)."""
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
