"""Thin Celery tasks around exports.services."""

from celery import shared_task

from exports.jobs import services


@shared_task(acks_late=True, ignore_result=True)
def run_export_job(job_id: int) -> None:
    services.run_job(job_id)


@shared_task(acks_late=True, ignore_result=True)
def compute_result_set(result_set_id: int) -> None:
    services.compute_results(result_set_id)


@shared_task(ignore_result=True)
def sweep_exports() -> dict[str, int]:
    return services.sweep()


@shared_task(acks_late=True, ignore_result=True)
def refresh_results(survey_id: int) -> None:
    """The debounced recomputation after answers changed (exports/refresh.py)."""
    from exports.jobs.refresh import refresh

    refresh(survey_id)
