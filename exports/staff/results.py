"""The result tables: /befragungen/<slug>/ergebnisse/ (tables by questionnaire page, with charts,
base and missing answers), their recomputation and live status, and the minimum base."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from exports import tasks
from exports.analysis import protection
from exports.analysis.aggregation import data_stamp
from exports.analysis.weighted import weight_questions
from exports.jobs import refresh
from exports.jobs import results as result_sets
from exports.models import ResultSet
from surveys.models import Survey
from surveys.permissions import can, survey_permission
from surveys.structure import get_structure

from .common import cached, data_version, live, partial, status_response
from .forms import MinBaseForm


def _weighted(request: HttpRequest) -> bool:
    return request.GET.get("gewichtet") == "1"


def _publication(request: HttpRequest) -> bool:
    """`?veroeffentlichung=1`, and always for a viewer (no access to single responses): the tables as
    they may be published."""
    return request.GET.get("veroeffentlichung") == "1" or not can(request, "raw_data")


def _when(iso: str | None) -> datetime | None:
    return datetime.fromisoformat(iso) if iso else None


def _sections(survey: Survey, questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The tables grouped by the questionnaire's pages, in questionnaire order (a table of a question
    removed since it was computed comes last, under its own heading)."""
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
@survey_permission("results")
def results(request: HttpRequest, slug: str) -> HttpResponse:
    """The result tables by questionnaire page, each with its chart, base and missing answers.

    Stored result sets are unweighted; `?gewichtet=1` shows the choice questions weighted (counted
    when asked, cached like the cross-tabs). The "Stand" names when the tables were counted and the
    newest change they include; when answers changed since, the page says so and when the worker
    will count again (exports/jobs/refresh.py). `?veroeffentlichung=1` shows them under the
    publication rules: every count below the minimum base suppressed (protection.publishable_tables)."""
    survey = get_object_or_404(Survey, slug=slug)
    include_partial = partial(request)
    weighted = _weighted(request)
    done, pending = result_sets.latest_results(survey, include_partial)
    tables = stamp = weighting = None
    if done:
        tables = done.tables
        stamp = {"computed_at": done.computed_at, **(done.tables.get("data_stamp") or {})}
        if weighted and "purged_at" not in done.tables:
            key = f"weighted:{survey.pk}:{include_partial}:{data_version(survey)}"
            data = cached(key, lambda: weight_questions(survey, include_partial=include_partial))
            tables = {**done.tables, "questions": data["questions"], "respondents": data["data_stamp"]["responses"]}
            stamp = {"computed_at": _when(data["computed_at"]), **data["data_stamp"]}
            weighting = data["weighting"]
        if _publication(request):
            tables = protection.publishable_tables(tables, survey.min_base)
        else:
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
        "include_partial": include_partial, "active_tab": "results", "publication": _publication(request),
        "min_base_form": MinBaseForm(instance=survey) if can(request, "manage") else None,
        # without access to single responses (viewers), a minimum or maximum of few answers is one of them
        "protect_stats": not can(request, "raw_data"),
        "refresh": running, "live": live(request, status_url, text, state),
    })


@require_GET
@survey_permission("results")
def results_status(request: HttpRequest, slug: str) -> JsonResponse:
    survey = get_object_or_404(Survey, slug=slug)
    _done, pending = result_sets.latest_results(survey, partial(request))
    running, text, state = _results_state(pending)
    return status_response(running, text, state)


@require_POST
@survey_permission("results")
def results_refresh(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    include_partial = partial(request)
    result_set = tasks.request_results(survey, include_partial)
    if result_set.status == ResultSet.Status.DONE:  # kept after purge_personal_data
        messages.info(request, _("Die personenbezogenen Daten dieser Befragung wurden gelöscht. Es gelten die "
                                 "dabei gespeicherten Ergebnistabellen; es gibt nichts neu zu berechnen."))
    else:
        messages.info(request, _("Die Ergebnistabellen werden neu berechnet."))
    url = redirect("staff:results", survey.slug).url
    query = "&".join(q for q, on in (("teilantworten=1", include_partial),
                                      ("gewichtet=1", request.POST.get("gewichtet") == "1")) if on)
    return redirect(url + (f"?{query}" if query else ""))


@require_POST
@survey_permission("manage")
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
