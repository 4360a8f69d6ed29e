"""What an invitation, reminder or "link once more" mail says, rendered for one invitation.

The built-in texts are the templates in templates/invitations/emails/; a survey's own subject and
body (texts.py) take their place where it has them. Rendering happens when a message is queued: the
outbox row stores the result, so staff see what was sent and a retry sends exactly the same mail.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, translation

from surveys.models import Survey

from .. import credentials
from ..models import Invitation
from . import texts


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    body_text: str
    body_html: str


def contact_for(survey: Survey) -> str:
    return survey.contact_email or settings.SURVEY_CONTACT


def optout_url(invitation: Invitation) -> str:
    return settings.SITE_URL + reverse("invitations:optout", args=[credentials.optout_token(invitation.pk)])


def render_mail(invitation: Invitation, kind: str, reminder_number: int = 0) -> RenderedMail:
    """kind: "invitation", "reminder" or "resend"; German, plain text + HTML."""
    survey = invitation.survey
    member = invitation.member
    with translation.override("de"):
        context = {
            "survey": survey,
            "member": member,
            "invitation": invitation,
            "link": invitation.link(),
            "access_code": invitation.access_code_display,
            "access_url": settings.SITE_URL + "/s/",
            "deadline": formats.date_format(survey.closes_on, "j. F Y") if survey.closes_on else "",
            "contact": contact_for(survey),
            "optout_url": optout_url(invitation),
            "reminder_number": reminder_number,
            "kind": kind,
        }
        base = f"invitations/emails/{kind}"
        subject = " ".join(render_to_string(f"{base}_subject.txt", context).split())
        text = render_to_string(f"{base}.txt", context).strip() + "\n"
        html = render_to_string(f"{base}.html", context)
        subject, text, html = texts.apply_survey_texts(survey, kind, context, subject, text, html)
    # the stored copy holds placeholders instead of the link and code (a database dump must not hold them)
    return RenderedMail(subject=subject[:300], body_text=invitation.conceal(text), body_html=invitation.conceal(html))


def from_address(invitation_id: int) -> str:
    """DEFAULT_FROM_EMAIL with the survey's sender name (Absendername) as display name, if it has one.

    One small query per message: the sending task loads no survey row (its definition is big).
    """
    name = Survey.objects.filter(invitations__pk=invitation_id).values_list("sender_name", flat=True).first() or ""
    if not name.strip():
        return settings.DEFAULT_FROM_EMAIL
    return formataddr((name.strip(), parseaddr(settings.DEFAULT_FROM_EMAIL)[1]))
