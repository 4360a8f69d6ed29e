"""Staff views: result tables (HTML, bars without JavaScript) and export jobs with downloads.

Every view requires the analyst permission (`surveys.view_results`; role staff has it too).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from exports.analysis import crosstab, freetexts, protection, waves
from exports.formats import registry
from exports.jobs import services
from exports.models import DownloadLog, ExportJob, ResultSet
from surveys.listing import sort_headers
from surveys.models import Survey
from surveys.permissions import analyst_required, can_manage, staff_required

from .forms import CrosstabForm, ExportForm, FreeTextSearchForm, MinBaseForm, WaveForm


def _partial(request: HttpRequest) -> bool:
    return request.GET.get("teilantworten") == "1" or request.POST.get("include_partial") in ("1", "on")


def _weighted(request: HttpRequest) -> bool:
    return request.GET.get("gewichtet") == "1"


def _when(iso: str | None) -> datetime | None:
    return datetime.fromisoformat(iso) if iso else None


def _sections(survey: Survey, questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The tables grouped by the questionnaire's pages, in questionnaire order (a table of a question
    removed since it was computed comes last, under its own heading)."""
    from surveys.structure import get_structure

    by_code = {t["code"]: t for t in questions}
    sections = []
    for page in get_structure(survey).pages:
        tables = [by_code.pop(q.code) for q in page.questions if q.code in by_code]
        if tables:
            sections.append({"code": page.code, "title": page.title, "questions": tables})
    if by_code:
        sections.append({"code": "_weitere", "title": _("Fragen, die nicht mehr im Fragebogen stehen"),
                         "questions": list(by_code.values())})
    return sections


# --- work in progress: a status text, a "Status aktualisieren" link and a JSON status for static/js/live-status.js
# (no timed refresh: WCAG 2.2.1; the script polls, announces the status politely and swaps the content when done)


def _live(request: HttpRequest, url: str, text: str, state: str, page_url: str = "") -> dict[str, str]:
    """What exports/_live_status.html needs: the JSON URL the script polls, the status text, a state token
    (when the JSON's state differs from the page's, the content is out of date) and the page to reload."""
    return {"status_url": url, "text": text, "state": state, "page_url": page_url or request.get_full_path()}


def _results_state(pending: ResultSet | None) -> tuple[bool, str, str]:
    """(running, status text, state) of the newest result tables still being computed."""
    if pending is None:
        return False, _("Die Berechnung ist abgeschlossen."), "none"
    if pending.status == ResultSet.Status.FAILED:
        return False, _("Die Berechnung ist fehlgeschlagen."), f"{pending.pk}:{pending.status}"
    if pending.status == ResultSet.Status.QUEUED:
        text = _("Die Berechnung der Ergebnisse wartet auf ihren Start.")
    else:
        text = _("Die Ergebnisse werden gerade berechnet.")
    return True, text, f"{pending.pk}:{pending.status}"


@require_GET
@analyst_required
def results(request: HttpRequest, slug: str) -> HttpResponse:
    """The result tables by questionnaire page, each with its chart, base and missing answers.

    Stored result sets are unweighted; `?gewichtet=1` shows the choice questions weighted (counted
    when asked, cached like the cross-tabs). The "Stand" names when the tables were counted and the
    newest change they include; when answers changed since, the page says so and when the worker
    will count again (exports/refresh.py)."""
    from exports.analysis.aggregation import data_stamp
    from exports.jobs import refresh

    survey = get_object_or_404(Survey, slug=slug)
    include_partial = _partial(request)
    weighted = _weighted(request)
    done, pending = services.latest_results(survey, include_partial)
    tables = stamp = weighting = None
    if done:
        tables = done.tables
        stamp = {"computed_at": done.computed_at, **(done.tables.get("data_stamp") or {})}
        if weighted and "purged_at" not in done.tables:
            from exports.analysis.weighted import weight_questions

            key = f"weighted:{survey.pk}:{include_partial}:{_data_version(survey)}"
            data = _cached(key, lambda: weight_questions(survey, include_partial=include_partial))
            tables = {**done.tables, "questions": data["questions"], "respondents": data["data_stamp"]["responses"]}
            stamp = {"computed_at": _when(data["computed_at"]), **data["data_stamp"]}
            weighting = data["weighting"]
        tables = protection.protect_tables(tables, survey.min_base)
    current = data_stamp(survey, include_partial) if done else None
    stale = bool(done and "responses" in (stamp or {}) and current != {k: stamp[k] for k in current})
    planned = refresh.planned_at(survey.pk)
    if stamp:
        stamp["last_change_at"] = _when(stamp.get("last_change_at"))
    running, text, state = _results_state(pending)
    status_url = reverse("staff:results_status", args=[survey.slug]) + ("?teilantworten=1" if include_partial else "")
    return render(request, "exports/results.html", {
        "survey": survey, "result_set": done, "pending": pending, "tables": tables,
        "sections": _sections(survey, tables["questions"]) if tables else [],
        "stamp": stamp, "stale": stale, "weighted": weighted and weighting is not None, "weighting": weighting,
        "planned_at": datetime.fromtimestamp(planned, tz=UTC) if planned else None,
        "auto_refresh": refresh.window() > 0,
        "include_partial": include_partial, "active_tab": "results",
        "min_base_form": MinBaseForm(instance=survey) if can_manage(request.user) else None,
        "refresh": running, "live": _live(request, status_url, text, state),
    })


@require_GET
@analyst_required
def results_status(request: HttpRequest, slug: str) -> JsonResponse:
    survey = get_object_or_404(Survey, slug=slug)
    _done, pending = services.latest_results(survey, _partial(request))
    running, text, state = _results_state(pending)
    return _status_response(running, text, state)


def _status_response(active: bool, text: str, state: str, progress: int | None = None) -> JsonResponse:
    response = JsonResponse({"active": active, "text": text, "state": state, "progress": progress})
    response["Cache-Control"] = "private, no-store"
    return response


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
    query = "&".join(q for q, on in (("teilantworten=1", include_partial),
                                      ("gewichtet=1", request.POST.get("gewichtet") == "1")) if on)
    return redirect(url + (f"?{query}" if query else ""))


EXPORTS_PER_PAGE = 25
# Sortable columns of the export list (surveys/listing.py); newest first unless chosen otherwise.
EXPORT_SORTS = {
    "erstellt": (gettext_lazy("Erstellt"), "created_at"), "format": (gettext_lazy("Format"), "format"),
    "status": (gettext_lazy("Status"), "status"), "fortschritt": (gettext_lazy("Fortschritt"), "progress"),
    "von": (gettext_lazy("Angefordert von"), "requested_by__username"),
}


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
        "live": _live(request, reverse("staff:exports_status", args=[survey.slug]), text, state,
                      page_url=request.get_full_path() if request.method == "GET" else reverse("staff:exports",
                                                                                               args=[survey.slug])),
    }, status=status)


@require_GET
@analyst_required
def exports(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    return _export_list(request, survey, ExportForm(survey=survey))


@require_GET
@analyst_required
def exports_status(request: HttpRequest, slug: str) -> JsonResponse:
    survey = get_object_or_404(Survey, slug=slug)
    return _status_response(*_jobs_state(survey))


@require_POST
@analyst_required
def export_create(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    form = ExportForm(request.POST, survey=survey)
    if not form.is_valid():
        return _export_list(request, survey, form, status=400)
    job = services.create_job(survey, form.cleaned_data["format"], form.cleaned_data["include_partial"],
                              request.user, publication=form.cleaned_data["publication"], options=form.options())
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
@analyst_required
def export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(ExportJob.objects.select_related("survey", "requested_by"), pk=pk)
    running, text, state, _progress = _job_state(job)
    return render(request, "exports/export_detail.html", {
        "survey": job.survey, "job": job, "active_tab": "exports", "refresh": running,
        "live": _live(request, reverse("staff:export_status", args=[job.pk]), text, state),
        "downloads": job.downloads.select_related("user")[:20],
        "download_available": services.job_path(job) is not None,
    })


@require_GET
@analyst_required
def export_status(request: HttpRequest, pk: int) -> JsonResponse:
    job = get_object_or_404(ExportJob, pk=pk)
    return _status_response(*_job_state(job))


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
    response = FileResponse(path.open("rb"), as_attachment=True, filename=services.download_name(job),
                            content_type=registry.get(job.format).content_type)
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
    from exports.analysis.representativeness import representativeness_and_weights

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


@require_GET
@analyst_required
def report(request: HttpRequest, slug: str) -> HttpResponse:
    """The results report as a page with print styles; the PDF is an export job of format "pdf"."""
    from exports.analysis import report as results_report

    survey = get_object_or_404(Survey, slug=slug)
    include_partial = _partial(request)
    stamp = survey.updated_at.timestamp() if survey.updated_at else 0
    key = f"report:{survey.pk}:{include_partial}:{_data_version(survey)}:{stamp}"
    data = _cached(key, lambda: results_report.build(survey, include_partial))
    return render(request, "exports/report.html", {**data, "survey": survey, "active_tab": "report"})


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
