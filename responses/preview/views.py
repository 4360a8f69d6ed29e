"""Staff preview: any survey (draft, open or closed) page by page as a respondent sees it.

Same templates, page form, validation, conditions, progress and review as the respondent's
pages (services.py explains the storage); nothing is written to the database except
the staff user's session.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from responses.respondent import services
from responses.respondent.start_views import welcome_context
from surveys.forms import PageForm, answers_to_data
from surveys.models import Survey
from surveys.permissions import survey_permission
from surveys.structure import SurveyStructure, get_structure
from surveys.texts.privacy import privacy_paragraphs

from . import services as preview


def _page_url(survey: Survey, code: str) -> str:
    if code == services.REVIEW:
        return reverse("staff:preview_review", args=[survey.slug])
    return reverse("staff:preview_page", args=[survey.slug, code])


def _ctx(survey: Survey, **extra: Any) -> dict[str, Any]:
    return {"survey": survey, **_flags(survey), **extra}


def _flags(survey: Survey) -> dict[str, Any]:
    """What the respondent templates need to know to link within the preview."""
    return {"preview": True, "preview_survey": survey}


@survey_permission("edit")
@require_http_methods(["GET", "HEAD"])
def preview_start(request: HttpRequest, slug: str) -> HttpResponse:
    """The welcome page as the personal link shows it, with "Befragung beginnen"."""
    survey = get_object_or_404(Survey, slug=slug)
    structure = get_structure(survey)
    answers, current = preview.load(request.session, structure)
    first = structure.visible_pages({})
    start = _page_url(survey, first[0].code if first else services.REVIEW)
    resume = _page_url(survey, preview.resume_target(structure, answers, current)) if answers else ""
    context = welcome_context(
        survey, **_flags(survey), start_url=start, resume_url=resume,
        privacy_url=reverse("staff:preview_privacy", args=[survey.slug]),
        printable_url=reverse("staff:survey_printable", args=[survey.slug]),
        printable_pdf_url=reverse("staff:survey_printable_pdf", args=[survey.slug]),
    )
    return render(request, "responses/welcome.html", context)


@survey_permission("edit")
@require_http_methods(["GET", "HEAD"])
def preview_privacy(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    return render(request, "responses/privacy.html", _ctx(
        survey, sections=privacy_paragraphs(survey), back_url=reverse("staff:preview_start", args=[survey.slug])))


@survey_permission("edit")
@require_http_methods(["GET", "HEAD", "POST"])
def preview_page(request: HttpRequest, slug: str, page_code: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    structure = get_structure(survey)
    try:
        page_def = structure.page(page_code)
    except KeyError:
        return render(request, "404.html", status=404)
    answers, current = preview.load(request.session, structure)
    if request.method == "POST":
        return _save(request, survey, structure, page_def, answers)
    if not structure.is_page_shown(page_def, answers):
        return HttpResponseRedirect(_page_url(survey, preview.resume_target(structure, answers, current)))
    if request.GET.get("pruefen"):
        form = PageForm(structure, page_def, answers, answers_to_data(services.page_answers(page_def, answers)))
        form.is_valid()
    else:
        form = PageForm(structure, page_def, answers)
    return _render_page(request, survey, structure, page_def, form, answers)


def _save(request: HttpRequest, survey: Survey, structure: SurveyStructure, page_def: Any,
          answers: dict) -> HttpResponse:
    action = request.POST.get("aktion", services.WEITER)
    if action not in services.ACTIONS:
        action = services.WEITER
    result = preview.save_page(structure, page_def, answers, request.POST, action)
    if result.status == "hidden":
        messages.info(request, _("Diese Seite ist nach Ihren bisherigen Antworten nicht auszufüllen."))
        return HttpResponseRedirect(reverse("staff:preview_start", args=[survey.slug]))
    target = page_def.code if result.status == "invalid" else result.target
    preview.save(request.session, structure, result.answers, target)
    if result.status == "invalid":
        return _render_page(request, survey, structure, page_def, result.form, result.answers)
    if action == services.SPEICHERN:
        messages.info(request, _("Vorschau: Die Eingaben bleiben bis zum Abmelden in Ihrer Sitzung erhalten. "
                                 "Gespeichert wird nichts."))
        return HttpResponseRedirect(reverse("staff:preview_start", args=[survey.slug]))
    return HttpResponseRedirect(_page_url(survey, result.target))


def _render_page(request: HttpRequest, survey: Survey, structure: SurveyStructure, page_def: Any,
                 form: PageForm, answers: dict) -> HttpResponse:
    number, total = services.progress(structure, page_def, answers)
    previous = structure.previous_page(page_def.code, answers)
    context = _ctx(survey, page=page_def, form=form, version=0, number=number, total=total,
                   has_previous=previous is not None, from_review=bool(request.GET.get("pruefen")))
    return render(request, "responses/page.html", context)


@survey_permission("edit")
@require_http_methods(["GET", "HEAD", "POST"])
def preview_review(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    structure = get_structure(survey)
    answers, _current = preview.load(request.session, structure)
    if request.method == "POST" and request.POST.get("aktion") == "absenden":
        missing = services.first_incomplete_page(structure, answers)
        if missing:
            messages.error(request, _("Bitte beantworten Sie zuerst die markierten Pflichtfragen."))
            return HttpResponseRedirect(_page_url(survey, missing) + "?pruefen=1")
        pages = services.review(structure, answers)
        preview.reset(request.session, survey.pk)
        return render(request, "responses/preview_done.html", _ctx(survey, pages=pages))
    preview.save(request.session, structure, answers, services.REVIEW)
    pages = services.review(structure, answers)
    visible = structure.visible_pages(answers)
    return render(request, "responses/review.html", _ctx(
        survey, pages=pages, has_missing=any(p.has_missing for p in pages), last_page=visible[-1] if visible else None))


@survey_permission("edit")
@require_POST
def preview_reset(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    preview.reset(request.session, survey.pk)
    messages.info(request, _("Die Vorschau beginnt von vorn; Ihre Eingaben in der Vorschau wurden verworfen."))
    return HttpResponseRedirect(reverse("staff:preview_start", args=[survey.slug]))
