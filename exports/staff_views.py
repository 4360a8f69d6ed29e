"""Staff views: result tables (HTML, bars without JavaScript) and export jobs with downloads.

Every view requires the analyst permission (`surveys.view_results`; role staff has it too).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from surveys.models import Survey
from surveys.permissions import analyst_required

from . import services
from .models import DownloadLog, ExportJob, ResultSet
from .staff_forms import ExportForm


def _partial(request: HttpRequest) -> bool:
    return request.GET.get("teilantworten") == "1" or request.POST.get("include_partial") in ("1", "on")


@require_GET
@analyst_required
def results(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    include_partial = _partial(request)
    done, pending = services.latest_results(survey, include_partial)
    tables = done.tables if done else None
    return render(request, "exports/results.html", {
        "survey": survey, "result_set": done, "pending": pending, "tables": tables,
        "include_partial": include_partial, "active_tab": "results",
        "refresh": pending is not None and pending.status in (ResultSet.Status.QUEUED, ResultSet.Status.RUNNING),
    })


@require_POST
@analyst_required
def results_refresh(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    include_partial = _partial(request)
    result_set = services.request_results(survey, include_partial)
    if result_set.status == ResultSet.Status.DONE:  # kept after purge_personal_data
        messages.info(request, _("Die personenbezogenen Daten dieser Befragung wurden gelöscht. Es gelten die "
                                 "dabei gespeicherten Ergebnistabellen; es gibt nichts neu zu berechnen."))
    else:
        messages.info(request, _("Die Ergebnistabellen werden neu berechnet."))
    url = redirect("staff:results", survey.slug).url
    return redirect(url + ("?teilantworten=1" if include_partial else ""))


@require_GET
@analyst_required
def exports(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    jobs = ExportJob.objects.filter(survey=survey).select_related("requested_by")[:50]
    return render(request, "exports/exports.html", {
        "survey": survey, "jobs": jobs, "form": ExportForm(), "active_tab": "exports",
        "refresh": any(job.is_active for job in jobs),
    })


@require_POST
@analyst_required
def export_create(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    form = ExportForm(request.POST)
    if not form.is_valid():
        jobs = ExportJob.objects.filter(survey=survey)[:50]
        return render(request, "exports/exports.html", {
            "survey": survey, "jobs": jobs, "form": form, "active_tab": "exports", "refresh": False,
        }, status=400)
    job = services.create_job(survey, form.cleaned_data["format"], form.cleaned_data["include_partial"],
                              request.user)
    return redirect("staff:export_detail", job.pk)


@require_GET
@analyst_required
def export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(ExportJob.objects.select_related("survey", "requested_by"), pk=pk)
    return render(request, "exports/export_detail.html", {
        "survey": job.survey, "job": job, "active_tab": "exports", "refresh": job.is_active,
        "downloads": job.downloads.select_related("user")[:20],
        "download_available": services.job_path(job) is not None,
    })


@require_POST
@analyst_required
def export_retry(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(ExportJob, pk=pk)
    if services.retry_job(job):
        messages.info(request, _("Der Export wurde erneut gestartet."))
    else:
        messages.warning(request, _("Dieser Export kann nicht wiederholt werden."))
    return redirect("staff:export_detail", job.pk)


@require_GET
@analyst_required
def export_download(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(ExportJob.objects.select_related("survey"), pk=pk)
    path = services.job_path(job)
    if path is None:
        raise Http404(_("Diese Datei ist nicht (mehr) verfügbar."))
    DownloadLog.objects.create(job=job, user=request.user)
    response = FileResponse(path.open("rb"), as_attachment=True, filename=services.download_name(job))
    response["Cache-Control"] = "private, no-store"
    return response
