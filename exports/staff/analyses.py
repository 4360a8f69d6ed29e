"""The analyses counted on request, each under /befragungen/<slug>/ergebnisse/: cross-tabs with filters
and weights (kreuztabellen/), respondents against the register (repraesentativitaet/), two waves side
by side (wellen/) and the results report as a page (bericht/; the PDF is an export job)."""

from __future__ import annotations

import hashlib
import json

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from exports.analysis import crosstab, protection, waves
from exports.analysis import report as results_report
from exports.analysis.representativeness import representativeness_and_weights
from surveys.models import Survey
from surveys.permissions import can, survey_permission

from .common import cached, data_version, partial
from .forms import CrosstabForm, WaveForm


@require_GET
@survey_permission("results")
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
        key = f"crosstab:{survey.pk}:{data_version(survey)}:{choice}"
        result = cached(key, lambda: crosstab.compute(survey, spec))
        result = {**result, "crosstabs": [protection.protect_crosstab(x, survey.min_base) for x in result["crosstabs"]]}
    return render(request, "exports/crosstabs.html", {
        "survey": survey, "form": form, "result": result, "spec": spec, "active_tab": "crosstabs",
        "description": crosstab.describe(spec, form.known) if spec else "",
        "export_values": spec.filter.values if spec and spec.filter else (),
    }, status=status)


@require_GET
@survey_permission("results")
def representativeness(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    include_partial = partial(request)
    key = f"repr:{survey.pk}:{include_partial}:{data_version(survey)}"
    data = cached(key, lambda: dict(zip(("tables", "raking"),
                                        representativeness_and_weights(survey, include_partial), strict=True)))
    raking = data["raking"]
    weights = sorted(((land, gk, w) for (land, gk), w in raking.weights.items()), key=lambda t: (t[0], int(t[1])))
    return render(request, "exports/representativeness.html", {
        "survey": survey, "tables": data["tables"], "raking": raking, "weights": weights,
        "include_partial": include_partial, "active_tab": "representativeness",
    })


@require_GET
@survey_permission("results")
def wave_comparison(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    # only waves whose results the user may see too
    candidates = [s for s in waves.comparable_surveys(survey) if can(request, "results", s)]
    form = WaveForm([(s.slug, f"{s.title} ({s.slug})") for s in candidates],
                    request.GET if "vergleich" in request.GET else None)
    result = None
    status = 200
    if form.is_bound:
        if form.is_valid():
            other = next(s for s in candidates if s.slug == form.cleaned_data["vergleich"])
            key = f"waves:{survey.pk}:{data_version(survey)}:{other.pk}:{data_version(other)}"
            result = cached(key, lambda: waves.compare(survey, other))
        else:
            status = 400
    return render(request, "exports/waves.html", {
        "survey": survey, "form": form, "result": result, "candidates": candidates, "active_tab": "waves",
    }, status=status)


@require_GET
@survey_permission("results")
def report(request: HttpRequest, slug: str) -> HttpResponse:
    """The results report as a page with print styles; the PDF is an export job of format "pdf"."""
    survey = get_object_or_404(Survey, slug=slug)
    include_partial = partial(request)
    stamp = survey.updated_at.timestamp() if survey.updated_at else 0
    key = f"report:{survey.pk}:{include_partial}:{data_version(survey)}:{stamp}"
    data = cached(key, lambda: results_report.build(survey, include_partial))
    return render(request, "exports/report.html", {**data, "survey": survey, "active_tab": "report"})
