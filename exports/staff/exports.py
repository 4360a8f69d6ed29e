"""The export jobs: /befragungen/<slug>/exporte/ lists a survey's jobs and requests a new one (…/neu/),
/exporte/<pk>/ shows one job with its progress, retries it (…/wiederholen/) and downloads its file
(…/herunterladen/). The formats come from exports/formats/registry.py."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts import audit
from exports import tasks
from exports.formats import registry
from exports.jobs import exportjob
from exports.models import DownloadLog, ExportJob
from surveys.listing import sort_headers
from surveys.models import Survey
from surveys.permissions import survey_permission

from .common import live, status_response
from .forms import ExportForm

EXPORTS_PER_PAGE = 25
# Sortable columns of the export list (surveys/listing.py); newest first unless chosen otherwise.
EXPORT_SORTS = {
    "erstellt": (gettext_lazy("Erstellt"), "created_at"), "format": (gettext_lazy("Format"), "format"),
    "status": (gettext_lazy("Status"), "status"), "fortschritt": (gettext_lazy("Fortschritt"), "progress"),
    "von": (gettext_lazy("Angefordert von"), "requested_by__username"),
}


def _job_survey(kwargs: dict[str, object]) -> Survey:
    """The survey a job URL (…/exporte/<pk>/…) belongs to: its role decides."""
    return get_object_or_404(ExportJob.objects.select_related("survey"), pk=kwargs["pk"]).survey


def _jobs_state(survey: Survey) -> tuple[bool, str, str]:
    """(any job running, status text, state) over the survey's jobs that are queued or running."""
    running = (ExportJob.Status.QUEUED, ExportJob.Status.RUNNING)
    active = list(ExportJob.objects.filter(survey=survey, status__in=running)
                  .order_by("pk").values_list("pk", "status", "progress"))
    if not active:
        text = _("Alle Exporte sind abgeschlossen.")
    else:
        progress = round(sum(p for _pk, _status, p in active) / len(active))
        text = ngettext("%(n)s Export wird erstellt (%(progress)s %%).",
                        "%(n)s Exporte werden erstellt (zusammen %(progress)s %%).", len(active)) % {
            "n": len(active), "progress": progress}
    # the list shows status and progress of each job: any change of either makes the page out of date
    state = ",".join(f"{pk}:{status}:{p}" for pk, status, p in active) or "none"
    return bool(active), text, state


def _export_list(request: HttpRequest, survey: Survey, form: ExportForm, status: int = 200) -> HttpResponse:
    sorting = sort_headers(request, EXPORT_SORTS, "-erstellt")
    jobs = ExportJob.objects.filter(survey=survey).select_related("requested_by").order_by(*sorting.order_by, "-pk")
    page = Paginator(jobs, EXPORTS_PER_PAGE).get_page(request.GET.get("seite"))
    running, text, state = _jobs_state(survey)
    return render(request, "exports/exports.html", {
        "survey": survey, "page": page, "jobs": page.object_list, "form": form, "active_tab": "exports",
        "sort_headers": sorting.headers, "querystring": sorting.query, "refresh": running,
        "live": live(request, reverse("staff:exports_status", args=[survey.slug]), text, state,
                     page_url=request.get_full_path() if request.method == "GET" else reverse("staff:exports",
                                                                                              args=[survey.slug])),
    }, status=status)


@require_GET
@survey_permission("exports")
def exports(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    return _export_list(request, survey, ExportForm(survey=survey))


@require_GET
@survey_permission("exports")
def exports_status(request: HttpRequest, slug: str) -> JsonResponse:
    survey = get_object_or_404(Survey, slug=slug)
    return status_response(*_jobs_state(survey))


@require_POST
@survey_permission("exports")
def export_create(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    form = ExportForm(request.POST, survey=survey)
    if not form.is_valid():
        return _export_list(request, survey, form, status=400)
    job = tasks.create_job(survey, form.cleaned_data["format"], form.cleaned_data["include_partial"],
                           request.user, publication=form.cleaned_data["publication"], options=form.options())
    audit.record("export_requested", request=request, survey=survey, target=f"export {job.pk}", format=job.format,
                 include_partial=job.include_partial, publication=form.cleaned_data["publication"])
    return redirect("staff:export_detail", job.pk)


def _job_state(job: ExportJob) -> tuple[bool, str, str, int]:
    if job.status == ExportJob.Status.QUEUED:
        text = _("Der Export wartet auf seinen Start.")
    elif job.status == ExportJob.Status.RUNNING:
        text = _("Der Export wird erstellt: %(progress)s %%.") % {"progress": job.progress}
    else:
        text = _("Stand des Exports: %(status)s.") % {"status": job.get_status_display()}
    # progress is updated in place by the script (data-live-progress); only a new status reloads the content
    return job.is_active, text, job.status, job.progress


@require_GET
@survey_permission("exports", survey_from=_job_survey)
def export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(ExportJob.objects.select_related("survey", "requested_by"), pk=pk)
    running, text, state, _progress = _job_state(job)
    return render(request, "exports/export_detail.html", {
        "survey": job.survey, "job": job, "active_tab": "exports", "refresh": running,
        "live": live(request, reverse("staff:export_status", args=[job.pk]), text, state),
        "downloads": job.downloads.select_related("user")[:20],
        "download_available": exportjob.job_path(job) is not None,
    })


@require_GET
@survey_permission("exports", survey_from=_job_survey)
def export_status(request: HttpRequest, pk: int) -> JsonResponse:
    job = get_object_or_404(ExportJob, pk=pk)
    return status_response(*_job_state(job))


@require_POST
@survey_permission("exports", survey_from=_job_survey)
def export_retry(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(ExportJob, pk=pk)
    if tasks.retry_job(job):
        messages.info(request, _("Der Export wurde erneut gestartet."))
    else:
        messages.warning(request, _("Dieser Export kann nicht wiederholt werden."))
    return redirect("staff:export_detail", job.pk)


@require_GET
@survey_permission("exports", survey_from=_job_survey, refused="export_download")
def export_download(request: HttpRequest, pk: int) -> FileResponse:
    job = get_object_or_404(ExportJob.objects.select_related("survey"), pk=pk)
    path = exportjob.job_path(job)
    if path is None:
        raise Http404(_("Diese Datei ist nicht (mehr) verfügbar."))
    DownloadLog.objects.create(job=job, user=request.user)
    audit.record("export_download", request=request, survey=job.survey, target=f"export {job.pk}",
                 format=job.format, file=exportjob.download_name(job))
    response = FileResponse(path.open("rb"), as_attachment=True, filename=exportjob.download_name(job),
                            content_type=registry.get(job.format).content_type)
    response["Cache-Control"] = "private, no-store"
    return response
