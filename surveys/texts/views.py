"""Staff area: the survey's own texts ("Texte der Befragung").

Read by analysts and changed by staff only; every change is recorded (SurveyChange, with the changed
fields before and after) so the change history shows who reworded what.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from surveys.models import Survey
from surveys.permissions import can, survey_permission

from .forms import TEXT_FIELDS, SurveyTextsForm

TEXTS_TARGET = "Texte der Befragung"


@survey_permission("view")
@require_http_methods(["GET", "HEAD", "POST"])
def survey_texts(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    manage = can(request, "edit")
    if request.method == "POST" and not manage:
        raise PermissionDenied
    form = SurveyTextsForm(request.POST if request.method == "POST" else None, instance=survey, read_only=not manage)
    if request.method == "POST" and form.is_valid():
        _save_texts(request, survey.pk, form)
        messages.success(request, _("Die Texte der Befragung wurden gespeichert."))
        return redirect("staff:survey_texts", slug=survey.slug)
    return render(request, "surveys/staff/survey_texts.html",
                  {"survey": survey, "form": form, "can_manage": manage, "active_tab": "detail",
                   "changes": survey.changes.filter(target=TEXTS_TARGET).select_related("user")[:10]},
                  status=400 if form.errors else 200)


def _save_texts(request: HttpRequest, pk: int, form: SurveyTextsForm) -> None:
    Survey.update_recorded(pk, request.user, TEXTS_TARGET, {name: form.cleaned_data[name] for name in TEXT_FIELDS})
