"""Staff area: survey list, survey page, field period, organisation and logo, lifecycle (draft → open →
closed ⇄ open), and the printable questionnaire.

Reading needs `view` on the survey; every change needs `manage` and is a POST with CSRF. Lifecycle
steps are confirmed on their own page (no JavaScript) and applied under a row lock, so two
staff members clicking at once cannot apply a step twice or from the wrong state.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from accounts import audit, roles
from surveys import printable
from surveys.listing import sort_headers
from surveys.models import Survey
from surveys.permissions import any_role, survey_permission, visible_surveys

from .forms import TRANSITIONS, SurveyBrandingForm, SurveyDatesForm, Transition, TransitionForm

SURVEYS_PER_PAGE = 25
# Sortable columns of the survey list (surveys/listing.py); the newest survey first unless chosen otherwise.
SURVEY_SORTS = {
    "titel": (gettext_lazy("Titel"), "title"), "kennung": (gettext_lazy("Kennung"), "slug"),
    "status": (gettext_lazy("Status"), "status"), "feldphase": (gettext_lazy("Feldphase"), "opens_on"),
    "angelegt": (gettext_lazy("Angelegt"), "created_at"),
}


@any_role
@require_safe
def survey_list(request: HttpRequest) -> HttpResponse:
    """The surveys the user holds any role on."""
    sorting = sort_headers(request, SURVEY_SORTS, "-angelegt")
    surveys = visible_surveys(request.user).order_by(*sorting.order_by, "-pk")
    page = Paginator(surveys, SURVEYS_PER_PAGE).get_page(request.GET.get("seite"))
    granted = roles.capabilities_by_survey(request.user, [s.pk for s in page.object_list])
    for survey in page.object_list:
        survey.caps = granted[survey.pk]  # type: ignore[attr-defined]
    context = {"surveys": page.object_list, "page": page, "sort_headers": sorting.headers,
               "querystring": sorting.query}
    return render(request, "surveys/staff/survey_list.html", context)


@survey_permission("view")
@require_safe
def survey_detail(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    transitions = [t for t in TRANSITIONS.values() if survey.status in t.source]
    return render(request, "surveys/staff/survey_detail.html", {
        "survey": survey,
        "transitions": transitions,
        "pages": survey.pages.count(),
        "questions": survey.questions.count(),
        "deadline_passed": survey.is_open and survey.closes_on is not None and survey.closes_on < timezone.localdate(),
        "active_tab": "detail",
    })


@survey_permission("manage")
@require_http_methods(["GET", "HEAD", "POST"])
def survey_dates(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    form = SurveyDatesForm(request.POST if request.method == "POST" else None, instance=survey)
    if request.method == "POST" and form.is_valid():
        form.save()
        audit.record("survey_dates_changed", request=request, survey=survey, target=survey.slug,
                     opens_on=str(survey.opens_on or ""), closes_on=str(survey.closes_on or ""))
        messages.success(request, _("Die Feldphase wurde gespeichert."))
        return redirect("staff:survey_detail", slug=survey.slug)
    return render(request, "surveys/staff/survey_dates.html", {"survey": survey, "form": form, "active_tab": "detail"})


def _transition(action: str) -> Transition:
    try:
        return TRANSITIONS[action]
    except KeyError:
        raise Http404 from None


@survey_permission("manage")
@require_http_methods(["GET", "HEAD", "POST"])
def survey_transition(request: HttpRequest, slug: str, action: str) -> HttpResponse:
    step = _transition(action)
    survey = get_object_or_404(Survey, slug=slug)
    if survey.status not in step.source:
        messages.error(request, _("Dieser Schritt ist im Status „%(status)s“ nicht möglich.")
                       % {"status": survey.get_status_display()})
        return redirect("staff:survey_detail", slug=survey.slug)
    form = TransitionForm(request.POST if request.method == "POST" else None, survey=survey, transition=step)
    if request.method == "POST" and form.is_valid():
        if _apply(survey.pk, step, form.cleaned_data.get("closes_on")):
            survey.refresh_from_db()
            audit.record("survey_state_changed", request=request, survey=survey, target=survey.slug,
                         step=action, status=survey.status, closes_on=str(survey.closes_on or ""))
            messages.success(request, _("Erledigt: %(step)s.") % {"step": step.label})
        else:
            messages.error(request, _("Der Status der Befragung wurde inzwischen geändert. Bitte prüfen Sie ihn."))
        return redirect("staff:survey_detail", slug=survey.slug)
    return render(request, "surveys/staff/survey_transition.html",
                  {"survey": survey, "step": step, "form": form, "active_tab": "detail"})


def _apply(pk: int, step: Transition, new_deadline: object) -> bool:
    """Apply a lifecycle step under a row lock; False when the survey left the source state meanwhile."""
    return Survey.apply_transition(pk, step.source, step.target, new_deadline)


@survey_permission("manage")
@require_http_methods(["GET", "HEAD", "POST"])
def survey_branding(request: HttpRequest, slug: str) -> HttpResponse:
    """Organisation name and logo shown to respondents and in the e-mails."""
    survey = get_object_or_404(Survey, slug=slug)
    form = SurveyBrandingForm(request.POST or None, request.FILES or None, instance=survey)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Name und Logo der Organisation wurden gespeichert."))
        return redirect("staff:survey_detail", slug=survey.slug)
    return render(request, "surveys/staff/survey_branding.html",
                  {"survey": survey, "form": form, "active_tab": "detail"})


# --- the printable questionnaire (surveys/printable.py), here without a member -----------------------


@survey_permission("view")
@require_safe
def survey_printable(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    return printable.html_response(
        request, survey, pdf_url=reverse("staff:survey_printable_pdf", args=[survey.slug]),
        back_url=reverse("staff:survey_detail", args=[survey.slug]), back_label=_("Zurück zur Befragung"),
    )


@survey_permission("view")
@require_safe
def survey_printable_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    return printable.pdf_response(get_object_or_404(Survey, slug=slug), request)
