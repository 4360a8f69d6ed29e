"""The respondent's start: the welcome page, the privacy notice and the printable questionnaire.

Kept apart from the page-by-page flow in views.py (the hot path): these pages only read.
The personal link (views.entry) leads to the welcome page until the respondent has saved a
first page, and from then on straight back to where they left off. These views never create
a Response, and the link itself creates none for a HEAD request (mail scanners send those).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import roles
from responses.models import Response
from surveys import printable as printable_questionnaire
from surveys.models import Survey
from surveys.structure import get_structure
from surveys.texts.privacy import privacy_paragraphs

from . import views as flow


def first_page_code(survey: Survey) -> str | None:
    """The page a new respondent starts on (None for a survey without pages)."""
    visible = get_structure(survey).visible_pages({})
    return visible[0].code if visible else None


def welcome_context(survey: Survey, **extra: Any) -> dict[str, Any]:
    privacy = privacy_paragraphs(survey)
    return {"survey": survey, "privacy_summary": privacy[0][1] if privacy else "", **extra}


@require_http_methods(["GET", "HEAD"])
def welcome(request: HttpRequest, token: str) -> HttpResponse:
    """Title, welcome text, duration, organisers, privacy summary and "Befragung beginnen".

    Only reads: the personal link (views.entry) sends a respondent here until the first page is
    saved; from then on it goes straight back to where they left off.
    """
    invitation, refusal = flow._open(request, token)
    if refusal:
        return refusal
    code = first_page_code(invitation.survey)
    start_url = reverse("responses:page", args=[token, code]) if code else reverse("responses:review", args=[token])
    started = False
    try:
        response = invitation.response
        started = bool(response.current_page) or response.is_submitted
    except Response.DoesNotExist:
        pass
    context = welcome_context(
        invitation.survey, invitation=invitation, member=invitation.member, start_url=start_url,
        resume_url=reverse("responses:entry", args=[token]) if started else "",
        privacy_url=reverse("responses:privacy", args=[token]),
        printable_url=reverse("responses:printable", args=[token]),
        printable_pdf_url=reverse("responses:printable_pdf", args=[token]),
    )
    return render(request, "responses/welcome.html", context)


def _opened(request: HttpRequest, token: str) -> Any:
    """The invitation for a reading page, or the refusal to show (404/429, draft for non-staff).

    A closed survey still shows its privacy notice and questionnaire: both only describe it.
    """
    found = flow._lookup(request, token)
    if isinstance(found, HttpResponse):
        return found
    if found.survey.status == Survey.Status.DRAFT and not roles.has(request.user, "edit", found.survey):
        return render(request, "responses/not_open.html", flow._base_context(found))
    return found


@require_http_methods(["GET", "HEAD"])
def privacy(request: HttpRequest, token: str) -> HttpResponse:
    invitation = _opened(request, token)
    if isinstance(invitation, HttpResponse):
        return invitation
    survey = invitation.survey
    return render(request, "responses/privacy.html", {
        "survey": survey, "invitation": invitation, "sections": privacy_paragraphs(survey),
        "back_url": reverse("responses:entry", args=[token]),
    })


@require_http_methods(["GET", "HEAD"])
def printable(request: HttpRequest, token: str) -> HttpResponse:
    invitation = _opened(request, token)
    if isinstance(invitation, HttpResponse):
        return invitation
    return printable_questionnaire.html_response(
        request, invitation.survey, member=invitation.member,
        pdf_url=reverse("responses:printable_pdf", args=[token]),
        back_url=reverse("responses:entry", args=[token]), back_label=_("Zurück zur Befragung"),
    )


@require_http_methods(["GET", "HEAD"])
def printable_pdf(request: HttpRequest, token: str) -> HttpResponse:
    invitation = _opened(request, token)
    if isinstance(invitation, HttpResponse):
        return invitation
    return printable_questionnaire.pdf_response(invitation.survey, request)
