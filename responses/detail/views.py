"""A single response in the staff area: its answers as the respondent saw them (read-only), its
history, and reopening it on the member's request (staff only)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts import audit
from responses.models import Response
from surveys.models import Survey
from surveys.permissions import can, survey_permission

from . import history, services
from .forms import ReopenForm


def _response_page(request: HttpRequest, survey: Survey, response: Response, form: ReopenForm | None = None,
                   status: int = 200) -> HttpResponse:
    pages, hidden = history.answers_view(response)
    can_reopen = can(request, "field") and response.is_submitted
    return render(request, "responses/staff/response_detail.html", {
        "survey": survey, "response": response, "member": response.invitation.member,
        "invitation": response.invitation, "pages": pages, "hidden": hidden,
        "answered": history.answered_count(pages), "history": history.history(response),
        "can_manage": can(request, "field"), "can_read_free_texts": can(request, "raw_data"),
        "form": (form or ReopenForm()) if can_reopen else None, "active_tab": "results",
    }, status=status)


def _get_response(slug: str, response_id: int) -> tuple[Survey, Response]:
    survey = get_object_or_404(Survey, slug=slug)
    response = get_object_or_404(Response.objects.select_related("invitation__member", "survey"),
                                 pk=response_id, survey=survey)
    return survey, response


@survey_permission("raw_data", "field")
@require_safe
def response_detail(request: HttpRequest, slug: str, response_id: int) -> HttpResponse:
    """All answers of one response as the respondent sees them (labels), read-only, and its history."""
    survey, response = _get_response(slug, response_id)
    return _response_page(request, survey, response)


@survey_permission("field")
@require_POST
def response_reopen(request: HttpRequest, slug: str, response_id: int) -> HttpResponse:
    """Field staff and owners: a submitted response back to in progress, on the member's request, with a reason."""
    survey, response = _get_response(slug, response_id)
    form = ReopenForm(request.POST)
    if not response.is_submitted:
        messages.warning(request, _("Diese Antwort ist nicht abgeschickt; es gibt nichts wieder zu öffnen."))
        return redirect("staff:response_detail", survey.slug, response.pk)
    if not form.is_valid():
        return _response_page(request, survey, response, form, status=400)
    services.reopen(response, request.user, form.cleaned_data["reason"])
    # the reason stays with the response's history: the audit trail keeps no free text about a respondent
    audit.record("response_reopened", request=request, survey=survey, target=f"response {response.pk}")
    messages.success(request, _("Die Antwort ist wieder geöffnet. Der persönliche Link führt wieder zur "
                                "Prüfseite; die Antworten können geändert und erneut abgeschickt werden."))
    return redirect("staff:response_detail", survey.slug, response.pk)
