"""Result tables recomputed by a worker after answers change: debounced, at most once per window.

The window is `settings.RESULTS_REFRESH_SECONDS` (default 60; 0 turns the automatic recomputation
off). What a respondent's page save pays: the responses app sends `answers_changed` after its
transaction commits, and `exports.tasks.plan_refresh` does ONE `cache.add` (`open_window`) of a
per-survey key that lives for the window. Only the save that creates the key (the first change
after a quiet window) also queues the Celery task `refresh_results`, with a countdown of the
window; every further change inside the window finds the key and does nothing more — the queued
task runs after them and counts them, because it reads the database when it starts. Keys are
created at least a window apart, each computation runs a window after its key was created, so a
stream of submits gives at most one computation per window per survey, and the last change is at
most one window old in the results.

If the broker cannot take the task, the key is deleted again, so the next change tries anew (the
button on the results page stays for "now" in any case). The task itself (`refresh`) skips a
variant whose data have not changed since its last result set (the same count and newest change of
the responses it counts: a page saved in a started response changes the tables with started
answers only).
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache

from exports.analysis.aggregation import data_stamp
from exports.models import ResultSet
from surveys.models import Survey

from . import results


def _key(survey_id: int) -> str:
    return f"results-refresh:{survey_id}"


def window() -> int:
    return int(getattr(settings, "RESULTS_REFRESH_SECONDS", 60))


def open_window(survey_id: int, seconds: int) -> bool:
    """Mark a recomputation as planned `seconds` from now; False when one is planned already (that
    computation will include this change)."""
    return bool(cache.add(_key(survey_id), time.time() + seconds, timeout=seconds))


def close_window(survey_id: int) -> None:
    """Forget the plan (its task could not be queued), so that the next change tries anew."""
    cache.delete(_key(survey_id))


def planned_at(survey_id: int) -> float | None:
    """When the planned recomputation will run (epoch seconds), or None when none is planned."""
    try:
        value = cache.get(_key(survey_id))
    except Exception:  # the page shows the stored tables even without a cache
        return None
    return float(value) if value is not None else None


def refresh(survey_id: int) -> list[int]:
    """Recompute the result sets of a survey whose data changed; returns the new result sets' ids.

    Tables of submitted answers always; tables with started answers only if somebody asked for
    them once (a result set of that variant exists)."""
    survey = Survey.objects.filter(pk=survey_id).first()
    if survey is None:  # deleted meanwhile
        return []
    variants = [False]
    if ResultSet.objects.filter(survey=survey, include_partial=True).exists():
        variants.append(True)
    made = []
    for include_partial in variants:
        if results.kept_after_purge(survey, include_partial) is not None:
            continue
        done, _ = results.latest_results(survey, include_partial)
        if done is not None and done.tables.get("data_stamp") == data_stamp(survey, include_partial):
            continue
        result_set = ResultSet.objects.create(survey=survey, include_partial=include_partial)
        results.compute_results(result_set.pk)
        made.append(result_set.pk)
    return made
