"""Staff area: the survey's invitation and reminder texts, previewed with a real member's data.

"Vorschau" checks the texts and shows both e-mails as they would be sent to the chosen member
(the first of the register unless an AGS is given) without storing anything; "Speichern"
stores them and records the change (SurveyChange). The link and access code in the preview
belong to an invitation that is not saved, so they are examples that open nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from config.middleware import clean_value
from surveys.models import Survey
from surveys.permissions import survey_permission

from ..models import Invitation, Member
from . import texts
from .forms import MAIL_FIELDS, MailTextsForm
from .render import render_mail

MAIL_TARGET = "E-Mail-Texte"


@dataclass
class PreviewMail:
    kind: str
    label: str
    subject: str
    body: str
    own: bool  # the survey's own text (False: built-in)


def _member(request: HttpRequest) -> tuple[Member | None, str]:
    """The member to preview with, and a note when the requested AGS was not found."""
    ags = request.GET.get("mitglied") or request.POST.get("mitglied") or ""
    if not clean_value(ags):
        raise BadRequest("NUL or overlong member key")
    ags = ags.strip()[:8]
    if ags:
        member = Member.objects.filter(ags=ags).first()
        if member is not None:
            return member, ""
        note = _("Im Register gibt es kein Mitglied mit dem AGS „%(ags)s“; die Vorschau zeigt das erste "
                 "Mitglied.") % {"ags": ags}
    else:
        note = ""
    return Member.objects.order_by("ags").first(), note


def _previews(survey: Survey, member: Member) -> list[PreviewMail]:
    sample = Invitation(survey=survey, member=member)  # not saved: an example link and code
    mails = []
    for kind, label in (("invitation", _("Einladung")), ("reminder", _("Erinnerung"))):
        rendered = render_mail(sample, kind, 1)
        subject, body = texts.own_texts(survey, kind)
        mails.append(PreviewMail(kind, label, rendered.subject, rendered.body_text, bool(subject or body)))
    return mails


@survey_permission("field")
@require_http_methods(["GET", "HEAD", "POST"])
def survey_mail_texts(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    member, member_note = _member(request)
    form = MailTextsForm(request.POST if request.method == "POST" else None, instance=survey)
    previews: list[PreviewMail] = []
    if request.method == "POST" and form.is_valid():
        if request.POST.get("aktion") == "speichern":
            _save(request, survey.pk, form)
            messages.success(request, _("Die E-Mail-Texte wurden gespeichert."))
            url = redirect("staff:survey_mail_texts", slug=survey.slug).url
            return redirect(f"{url}?mitglied={member.ags}" if member else url)
        if member is not None:
            previews = _previews(form.instance, member)  # the checked, unsaved texts
    elif request.method != "POST" and member is not None:
        previews = _previews(survey, member)
    return render(request, "invitations/staff/mail_texts.html", {
        "survey": survey, "form": form, "member": member, "member_note": member_note, "previews": previews,
        "placeholders": texts.PLACEHOLDERS, "active_tab": "detail",
    }, status=400 if form.errors else 200)


def _save(request: HttpRequest, pk: int, form: MailTextsForm) -> None:
    Survey.update_recorded(pk, request.user, MAIL_TARGET, {name: form.cleaned_data[name] for name in MAIL_FIELDS})
