"""The free texts: /befragungen/<slug>/ergebnisse/freitexte/ lists the free-text questions with their
number of answers, …/freitexte/<variable>/ one variable's answers with the municipality, paged and
searchable."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from exports.analysis import freetexts
from surveys.models import Survey
from surveys.permissions import survey_permission
from surveys.structure import get_structure

from .common import cached, data_version, partial
from .forms import FreeTextSearchForm

FREE_TEXTS_PER_PAGE = 25


@require_GET
@survey_permission("raw_data")
def free_texts(request: HttpRequest, slug: str) -> HttpResponse:
    """The free-text questions of the survey with the number of answers each (as the results count them)."""
    survey = get_object_or_404(Survey, slug=slug)
    include_partial = partial(request)
    key = f"freetexts:{survey.pk}:{include_partial}:{data_version(survey)}"
    counts = cached(key, lambda: freetexts.counts(survey, include_partial))
    items = [(item, counts.get(item.variable, 0)) for item in freetexts.free_text_variables(get_structure(survey))]
    return render(request, "exports/free_texts.html", {
        "survey": survey, "items": items, "include_partial": include_partial, "active_tab": "freetexts",
    })


@require_GET
@survey_permission("raw_data")
def free_text_question(request: HttpRequest, slug: str, variable: str) -> HttpResponse:
    """One free-text variable's answers with the municipality, paged and searchable."""
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
