"""The respondent flow: access code entry, personal link, pages, review, submission, receipt.

HTTP protocol (tests and the browser suite rely on it; see the helpers' brief):
  GET  /s/                               access-code form; POST field `code` → 302 /s/<token>/
  GET  /s/<token>/                       302 to where the respondent left off
  GET|POST /s/<token>/seite/<PAGE>/      one page; fields named by variable codes, `_version`,
                                         button `aktion` = weiter | zurueck | speichern
  GET|POST /s/<token>/pruefen/           review; POST `aktion=absenden` submits
  GET  /s/<token>/danke/                 receipt with a printable copy of the answers
  GET  /s/<token>/gespeichert/           "saved, continue later" with the link and code
Wrong tokens give a 404 that reveals nothing, and are rate-limited per client (429).
No JavaScript: everything is a plain form post.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import roles
from invitations import ratelimit
from invitations.models import Invitation, normalize_access_code
from responses.models import Response
from surveys.forms import PageForm, answers_to_data
from surveys.models import Survey
from surveys.structure import SurveyStructure, get_structure

from . import queries, services

TOKEN_FORMAT = re.compile(r"[A-Za-z0-9_\-]{16,64}")


# -- helpers ------------------------------------------------------------------------------


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "404.html", status=404)


def _lookup(request: HttpRequest, token: str) -> Invitation | HttpResponse:
    """The invitation for a personal token, or the 404/429 page. One query; a valid token opens even from an
    address over its miss allowance (see invitations/ratelimit.py)."""
    invitation = queries.invitation_by_token(token) if TOKEN_FORMAT.fullmatch(token) else None
    if invitation is None:
        return ratelimit.too_many(request) if ratelimit.refuse_miss(request) else _not_found(request)
    if ratelimit.refuse_valid(request, token):
        return ratelimit.too_many(request)
    return invitation


def _gate(request: HttpRequest, invitation: Invitation, *, receipt: bool = False) -> HttpResponse | None:
    """Survey state: closed → friendly page; draft → only staff preview. None = go ahead."""
    survey = invitation.survey
    if survey.status == Survey.Status.OPEN:
        return None
    if survey.status == Survey.Status.CLOSED:
        if receipt:
            return None
        return render(request, "responses/closed.html", _base_context(invitation))
    if roles.has(request.user, "edit", survey):
        # Staff looking at a draft through a member's link get the staff preview, which keeps what
        # they type in their session: a preview never creates or changes the member's Response.
        page_code = request.resolver_match.kwargs.get("page_code") if request.resolver_match else None
        visible = get_structure(survey).visible_pages({})
        page_code = page_code or (visible[0].code if visible else None)
        if page_code is None:
            return HttpResponseRedirect(reverse("staff:preview_start", args=[survey.slug]))
        return HttpResponseRedirect(reverse("staff:preview_page", args=[survey.slug, page_code]))
    return render(request, "responses/not_open.html", _base_context(invitation))


def _base_context(invitation: Invitation, **extra: Any) -> dict[str, Any]:
    return {"invitation": invitation, "survey": invitation.survey, "member": invitation.member, **extra}


def _url(name: str, token: str, page: str | None = None) -> str:
    if page is not None:
        return reverse("responses:page", args=[token, page])
    return reverse(f"responses:{name}", args=[token])


def _target_url(token: str, target: str) -> str:
    return _url("review", token) if target == services.REVIEW else _url("page", token, target)


def _open(request: HttpRequest, token: str, *, receipt: bool = False) -> tuple[Invitation | None, HttpResponse | None]:
    found = _lookup(request, token)
    if isinstance(found, HttpResponse):
        return None, found
    gate = _gate(request, found, receipt=receipt)
    if gate is not None:
        return None, gate
    # A HEAD request does not count as the member opening it (link checkers and mail scanners send
    # those). A staff preview never reaches here: _gate sends staff to responses/preview/views.py.
    if request.method != "HEAD":
        found.mark_opened()
    return found, None


def _response(request: HttpRequest, invitation: Invitation) -> Response:
    """The invitation's Response; a HEAD request never creates it."""
    if request.method == "HEAD":
        return services.existing_response(invitation)
    return services.open_response(invitation)


def _open_unsubmitted(request: HttpRequest, token: str) -> tuple[Invitation, Response] | HttpResponse:
    """The invitation and its (new or started) response, or the page to show instead:
    a refusal (404/429/closed/draft) or, once submitted, the receipt."""
    invitation, refusal = _open(request, token)
    if refusal:
        return refusal
    response = _response(request, invitation)
    if response.is_submitted:
        return HttpResponseRedirect(_url("receipt", token))
    return invitation, response


def _submitted_redirect(request: HttpRequest, token: str) -> HttpResponse:
    messages.info(request, _("Ihre Antworten wurden bereits abgeschickt und können nicht mehr geändert werden."))
    return HttpResponseRedirect(_url("receipt", token))


# -- access code --------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def access_code(request: HttpRequest) -> HttpResponse:
    error = ""
    typed = ""
    if request.method == "POST":
        typed = request.POST.get("code", "")[:100]
        code = normalize_access_code(typed)
        if not code:
            error = _("Bitte geben Sie den Zugangscode aus Ihrem Anschreiben ein.")
        else:
            invitation = Invitation.objects.by_access_code(code).only("token_encrypted").first()
            if invitation is not None:
                if ratelimit.refuse_valid(request, code):
                    return ratelimit.too_many(request)
                return HttpResponseRedirect(_url("entry", invitation.token))
            if ratelimit.refuse_miss(request):
                return ratelimit.too_many(request)
            error = _(
                "Zu diesem Zugangscode haben wir keine Befragung gefunden. Bitte prüfen Sie die Eingabe "
                "(Groß- und Kleinschreibung sowie Bindestriche spielen keine Rolle)."
            )
    return render(request, "responses/access_code.html", {"error": error, "typed": typed})


# -- personal link ------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
def entry(request: HttpRequest, token: str) -> HttpResponse:
    """Back to where the respondent left off; before the first saved page, the welcome page."""
    invitation, refusal = _open(request, token)
    if refusal:
        return refusal
    if request.method == "HEAD" and not _has_response(invitation):  # mail scanners: create nothing
        return HttpResponseRedirect(_url("welcome", token))
    response = services.open_response(invitation)
    if response.is_submitted:
        return HttpResponseRedirect(_url("receipt", token))
    if not response.current_page:  # nothing saved yet: title, welcome text, privacy notice first
        return HttpResponseRedirect(_url("welcome", token))
    structure = get_structure(invitation.survey, get_language())
    answers = services.load_answers(response, structure)
    return HttpResponseRedirect(_target_url(token, services.resume_target(structure, response, answers)))


def _has_response(invitation: Invitation) -> bool:
    try:
        invitation.response  # noqa: B018 - cached by the token query
    except Response.DoesNotExist:
        return False
    return True


@require_http_methods(["GET", "HEAD", "POST"])
def page(request: HttpRequest, token: str, page_code: str) -> HttpResponse:
    invitation, refusal = _open(request, token)
    if refusal:
        return refusal
    structure = get_structure(invitation.survey, get_language())
    try:
        page_def = structure.page(page_code)
    except KeyError:
        return _not_found(request)
    response = _response(request, invitation)
    if response.is_submitted:
        return _submitted_redirect(request, token)
    if request.method == "POST":
        return _save(request, invitation, structure, page_def)
    answers = services.load_answers(response, structure)
    if not structure.is_page_shown(page_def, answers):
        return HttpResponseRedirect(_target_url(token, services.resume_target(structure, response, answers)))
    version = int(response.page_versions.get(page_def.code, 0))
    if request.GET.get("pruefen"):  # sent back from the review: show what is missing
        data = answers_to_data(services.page_answers(page_def, answers))
        form = PageForm(structure, page_def, answers, data)
        form.is_valid()
    else:
        form = PageForm(structure, page_def, answers)
    return _render_page(request, invitation, structure, page_def, form, answers, version)


def _save(request: HttpRequest, invitation: Invitation, structure: SurveyStructure, page_def: Any) -> HttpResponse:
    action = request.POST.get("aktion", services.WEITER)
    if action not in services.ACTIONS:
        action = services.WEITER  # Enter in a text field of an old browser sends no button
    result = services.save_page(invitation, page_def.code, request.POST, action)
    token = invitation.token
    if result.status == services.SaveResult.SUBMITTED:
        return _submitted_redirect(request, token)
    if result.status == services.SaveResult.HIDDEN:
        messages.info(request, _("Diese Seite ist nach Ihren bisherigen Antworten nicht auszufüllen."))
        return HttpResponseRedirect(_url("entry", token))
    if result.status == services.SaveResult.CONFLICT:
        return _render_page(request, invitation, structure, page_def, result.form, result.answers, result.version,
                            conflict=True, lost_input=result.lost_input)
    if result.status == services.SaveResult.INVALID:
        return _render_page(request, invitation, structure, page_def, result.form, result.answers, result.version)
    if action == services.SPEICHERN:
        return HttpResponseRedirect(_url("saved", token))
    return HttpResponseRedirect(_target_url(token, result.target))


def _render_page(request: HttpRequest, invitation: Invitation, structure: SurveyStructure, page_def: Any,
                 form: PageForm, answers: dict, version: int, **extra: Any) -> HttpResponse:
    number, total = services.progress(structure, page_def, answers)
    previous = structure.previous_page(page_def.code, answers)
    context = _base_context(invitation, page=page_def, form=form, version=version, number=number, total=total,
                   has_previous=previous is not None, from_review=bool(request.GET.get("pruefen")), **extra)
    return render(request, "responses/page.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
def review(request: HttpRequest, token: str) -> HttpResponse:
    opened = _open_unsubmitted(request, token)
    if isinstance(opened, HttpResponse):
        return opened
    invitation, response = opened
    structure = get_structure(invitation.survey, get_language())
    if request.method == "POST" and request.POST.get("aktion") == "absenden":
        result = services.submit(invitation)
        if result.status == services.SubmitResult.INCOMPLETE:
            messages.error(request, _("Bitte beantworten Sie zuerst die markierten Pflichtfragen."))
            return HttpResponseRedirect(_url("page", token, result.page_code) + "?pruefen=1")
        return HttpResponseRedirect(_url("receipt", token))
    answers = services.load_answers(response, structure)
    pages = services.review(structure, answers)
    visible = structure.visible_pages(answers)
    context = _base_context(invitation, pages=pages, has_missing=any(p.has_missing for p in pages),
                   last_page=visible[-1] if visible else None)
    return render(request, "responses/review.html", context)


@require_http_methods(["GET", "HEAD"])
def receipt(request: HttpRequest, token: str) -> HttpResponse:
    invitation, refusal = _open(request, token, receipt=True)
    if refusal:
        return refusal
    try:
        response = invitation.response
    except Response.DoesNotExist:
        response = None
    if response is None or not response.is_submitted:
        if invitation.survey.status == Survey.Status.CLOSED:
            return render(request, "responses/closed.html", _base_context(invitation))
        return HttpResponseRedirect(_url("entry", token))
    structure = get_structure(invitation.survey, get_language())
    answers = services.load_answers(response, structure)
    context = _base_context(invitation, response=response, pages=services.review(structure, answers))
    return render(request, "responses/receipt.html", context)


@require_http_methods(["GET", "HEAD"])
def saved(request: HttpRequest, token: str) -> HttpResponse:
    opened = _open_unsubmitted(request, token)
    if isinstance(opened, HttpResponse):
        return opened
    invitation, response = opened
    return render(request, "responses/saved.html", _base_context(invitation, resume_url=_url("entry", token)))
