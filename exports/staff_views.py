"""Staff views: result tables (HTML, bars without JavaScript) and export jobs with downloads.

Every view requires the analyst permission (`surveys.view_results`; role staff has it too).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from surveys.models import Survey
from surveys.permissions import analyst_required, can_manage, staff_required

from . import crosstab, freetexts, protection, services, waves
from .models import DownloadLog, ExportJob, ResultSet
from .staff_forms import CrosstabForm, ExportForm, FreeTextSearchForm, MinBaseForm, WaveForm


def _partial(request: HttpRequest) -> bool:
    return request.GET.get("teilantworten") == "1" or request.POST.get("include_partial") in ("1", "on")


@require_GET
@analyst_required
def results(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    include_partial = _partial(request)
    done, pending = services.latest_results(survey, include_partial)
    tables = protection.protect_tables(done.tables, survey.min_base) if done else None
    return render(request, "exports/results.html", {
        "survey": survey, "result_set": done, "pending": pending, "tables": tables,
        "include_partial": include_partial, "active_tab": "results",
        "min_base_form": MinBaseForm(instance=survey) if can_manage(request.user) else None,
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
        "survey": survey, "jobs": jobs, "form": ExportForm(survey=survey), "active_tab": "exports",
        "refresh": any(job.is_active for job in jobs),
    })


@require_POST
@analyst_required
def export_create(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    form = ExportForm(request.POST, survey=survey)
    if not form.is_valid():
        jobs = ExportJob.objects.filter(survey=survey)[:50]
        return render(request, "exports/exports.html", {
            "survey": survey, "jobs": jobs, "form": form, "active_tab": "exports", "refresh": False,
        }, status=400)
    job = services.create_job(survey, form.cleaned_data["format"], form.cleaned_data["include_partial"],
                              request.user, publication=form.cleaned_data["publication"], options=form.options())
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


# --- cross-tabs, representativeness, waves, minimum base -----------------------------------------

CACHE_SECONDS = 60


def _data_version(survey: Survey) -> str:
    """Changes whenever an answer or the register could have changed: cached figures are never stale
    (a saved page bumps its response's updated_at)."""
    from django.db.models import Count, Max

    from invitations.models import Member
    from responses.models import Response

    agg = Response.objects.filter(survey=survey).aggregate(n=Count("id"), last=Max("updated_at"))
    reg = Member.objects.aggregate(n=Count("id"), last=Max("updated_at"))  # the register weighs and compares
    stamps = [x.timestamp() if x else 0 for x in (agg["last"], reg["last"])]
    return f"{agg['n']}:{stamps[0]}:{reg['n']}:{stamps[1]}:{survey.min_base}"


def _cached(key: str, compute: Callable[[], Any]) -> Any:
    from django.core.cache import cache

    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, CACHE_SECONDS)
    return value


@require_GET
@analyst_required
def crosstabs(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    form = CrosstabForm(survey, request.GET if "by" in request.GET else None, initial={"by": "land"})
    result = spec = None
    status = 200
    if form.is_bound and not form.is_valid():
        status = 400
    else:
        spec = form.spec() if form.is_bound else crosstab.Spec()
        # the choice as a digest: a short key without spaces, whatever was chosen
        choice = hashlib.sha256(json.dumps(spec.as_dict(), sort_keys=True).encode()).hexdigest()
        key = f"crosstab:{survey.pk}:{_data_version(survey)}:{choice}"
        result = _cached(key, lambda: crosstab.compute(survey, spec))
        result = {**result, "crosstabs": [protection.protect_crosstab(x, survey.min_base) for x in result["crosstabs"]]}
    return render(request, "exports/crosstabs.html", {
        "survey": survey, "form": form, "result": result, "spec": spec, "active_tab": "crosstabs",
        "description": crosstab.describe(spec, form.known) if spec else "",
        "export_values": spec.filter.values if spec and spec.filter else (),
    }, status=status)


@require_GET
@analyst_required
def representativeness(request: HttpRequest, slug: str) -> HttpResponse:
    from .representativeness import representativeness_and_weights

    survey = get_object_or_404(Survey, slug=slug)
    include_partial = _partial(request)
    key = f"repr:{survey.pk}:{include_partial}:{_data_version(survey)}"
    data = _cached(key, lambda: dict(zip(("tables", "raking"),
                                         representativeness_and_weights(survey, include_partial), strict=True)))
    raking = data["raking"]
    weights = sorted(((land, gk, w) for (land, gk), w in raking.weights.items()), key=lambda t: (t[0], int(t[1])))
    return render(request, "exports/representativeness.html", {
        "survey": survey, "tables": data["tables"], "raking": raking, "weights": weights,
        "include_partial": include_partial, "active_tab": "representativeness",
    })


@require_GET
@analyst_required
def wave_comparison(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    candidates = waves.comparable_surveys(survey)
    form = WaveForm([(s.slug, f"{s.title} ({s.slug})") for s in candidates],
                    request.GET if "vergleich" in request.GET else None)
    result = None
    status = 200
    if form.is_bound:
        if form.is_valid():
            other = next(s for s in candidates if s.slug == form.cleaned_data["vergleich"])
            key = f"waves:{survey.pk}:{_data_version(survey)}:{other.pk}:{_data_version(other)}"
            result = _cached(key, lambda: waves.compare(survey, other))
        else:
            status = 400
    return render(request, "exports/waves.html", {
        "survey": survey, "form": form, "result": result, "candidates": candidates, "active_tab": "waves",
    }, status=status)


@require_POST
@staff_required
def min_base(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    form = MinBaseForm(request.POST, instance=survey)
    if form.is_valid():
        form.save()
        messages.success(request, _("Die Mindestbasis ist jetzt %(n)s.") % {"n": survey.min_base})
    else:
        for error in form.errors.get("min_base", []):
            messages.error(request, error)
    return redirect("staff:results", survey.slug)


# --- free texts ----------------------------------------------------------------------------

FREE_TEXTS_PER_PAGE = 25


@require_GET
@analyst_required
def free_texts(request: HttpRequest, slug: str) -> HttpResponse:
    """The free-text questions of the survey with the number of answers each (as the results count them)."""
    from surveys.structure import get_structure

    survey = get_object_or_404(Survey, slug=slug)
    include_partial = _partial(request)
    key = f"freetexts:{survey.pk}:{include_partial}:{_data_version(survey)}"
    counts = _cached(key, lambda: freetexts.counts(survey, include_partial))
    items = [(item, counts.get(item.variable, 0)) for item in freetexts.free_text_variables(get_structure(survey))]
    return render(request, "exports/free_texts.html", {
        "survey": survey, "items": items, "include_partial": include_partial, "active_tab": "freetexts",
    })


@require_GET
@analyst_required
def free_text_question(request: HttpRequest, slug: str, variable: str) -> HttpResponse:
    """One free-text variable's answers with the municipality, paged and searchable."""
    from django.utils.translation import get_language

    from surveys.structure import get_structure

    survey = get_object_or_404(Survey, slug=slug)
    item = freetexts.find_variable(get_structure(survey, get_language()), variable)
    if item is None:
        raise Http404(_("Diese Befragung hat keinen Freitext mit diesem Code."))
    form = FreeTextSearchForm(request.GET)
    status = 200 if form.is_valid() else 400
    found = freetexts.answers(survey, variable, form.search(), form.include_partial())
    page = Paginator(found, FREE_TEXTS_PER_PAGE).get_page(request.GET.get("seite"))
    return render(request, "exports/free_text_question.html", {
        "survey": survey, "item": item, "form": form, "page": page, "querystring": form.querystring(),
        "search": form.search().strip(), "include_partial": form.include_partial(), "active_tab": "freetexts",
    }, status=status)
