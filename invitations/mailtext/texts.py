"""The survey's own invitation and reminder texts: placeholders, their check, and rendering.

Staff write subject and body as plain text with placeholders in braces (`{kommune}`, `{link}` …).
A blank subject or body means the built-in text (the templates in templates/invitations/emails/).
Placeholders are replaced by a regular expression, never by `str.format`, so a text can never
reach into Python objects (`{member.__class__}` is just an unknown placeholder).
`{{` and `}}` stand for literal braces.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.template.loader import render_to_string
from django.utils.html import escape, linebreaks, urlize
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# name → what it stands for (shown to staff next to the form)
PLACEHOLDERS: dict[str, str] = {
    "kommune": gettext_lazy("Name der Kommune (Mitglied)"),
    "ansprechpartner": gettext_lazy("Ansprechpartner/in laut Register (kann leer sein)"),
    "befragung": gettext_lazy("Titel der Befragung"),
    "link": gettext_lazy("persönlicher Link zum Fragebogen (Pflicht)"),
    "zugangscode": gettext_lazy("Zugangscode"),
    "zugangsseite": gettext_lazy("Adresse der Seite, auf der man den Zugangscode eingibt"),
    "frist": gettext_lazy("Ende der Feldphase, z. B. 30. August 2026"),
    "kontakt": gettext_lazy("Kontaktadresse der Befragung"),
    "abmeldelink": gettext_lazy("Link zum Abbestellen der Erinnerungen"),
}
REQUIRED = ("link",)
KINDS = ("invitation", "reminder")

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


class MailTextError(ValueError):
    """A text that cannot be used; the message is German for staff."""


def problems(text: str, *, require_link: bool = False) -> list[str]:
    """Every problem of one text, in plain German (empty list = fine)."""
    found: list[str] = []
    unknown: list[str] = []
    names: set[str] = set()
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        if token in ("{", "}"):
            found.append(_("Eine geschweifte Klammer „%(brace)s“ steht allein. Platzhalter schreiben Sie so: "
                           "{link}; eine Klammer als Zeichen schreiben Sie doppelt.") % {"brace": token})
            continue
        name = match.group(1).strip()
        names.add(name)
        if name not in PLACEHOLDERS and token not in unknown:
            unknown.append(token)
    if unknown:
        found.insert(0, _("Unbekannter Platzhalter: %(names)s. Erlaubt sind: %(allowed)s.") % {
            "names": ", ".join(unknown), "allowed": ", ".join(f"{{{n}}}" for n in PLACEHOLDERS)})
    if require_link:
        missing = [n for n in REQUIRED if n not in names]
        if missing:
            found.append(_("Der Text muss den persönlichen Link enthalten: Bitte fügen Sie %(names)s ein.")
                         % {"names": ", ".join(f"{{{n}}}" for n in missing)})
    return found


def fill(text: str, values: Mapping[str, str]) -> str:
    """The text with every placeholder replaced; MailTextError if it has problems."""
    errors = problems(text)
    if errors:
        raise MailTextError(" ".join(errors))

    def replace(match: re.Match) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        return str(values.get(match.group(1).strip(), ""))

    return _TOKEN.sub(replace, text)


def values_from(context: Mapping[str, object]) -> dict[str, str]:
    """Placeholder values from the context render.render_mail builds for its templates."""
    member = context["member"]
    survey = context["survey"]
    return {
        "kommune": member.name,  # type: ignore[attr-defined]
        "ansprechpartner": member.ansprechpartner,  # type: ignore[attr-defined]
        "befragung": survey.title,  # type: ignore[attr-defined]
        "link": str(context["link"]),
        "zugangscode": str(context["access_code"]),
        "zugangsseite": str(context["access_url"]),
        "frist": str(context["deadline"]) or _("(keine Frist festgelegt)"),
        "kontakt": str(context["contact"]),
        "abmeldelink": str(context["optout_url"]),
    }


def own_texts(survey: object, kind: str) -> tuple[str, str]:
    """(subject, body) the survey defines for this kind of mail ("" = built-in)."""
    if kind == "reminder":
        return survey.reminder_subject, survey.reminder_body  # type: ignore[attr-defined]
    if kind == "invitation":
        return survey.invitation_subject, survey.invitation_body  # type: ignore[attr-defined]
    return "", ""  # the "link once more" mail has no text of its own


def body_html(text: str) -> SafeString:
    """A plain-text body as simple HTML: paragraphs, line breaks, clickable links (all escaped)."""
    return mark_safe(linebreaks(urlize(escape(text), autoescape=False), autoescape=False))  # noqa: S308 - escaped first


def apply_survey_texts(survey: object, kind: str, context: Mapping[str, object], subject: str, text: str,
                       html: str) -> tuple[str, str, str]:
    """The built-in (subject, text, html) with the survey's own subject/body put in where it has them.

    A stored text that no longer passes the check (say it was loaded from an old definition file)
    raises MailTextError: queueing refuses it with the reason rather than sending it half-filled.
    """
    own_subject, own_body = own_texts(survey, kind)
    if not own_subject.strip() and not own_body.strip():
        return subject, text, html
    values = values_from(context)
    if own_subject.strip():
        subject = " ".join(fill(own_subject, values).split())
    if own_body.strip():
        errors = problems(own_body, require_link=True)
        if errors:
            raise MailTextError(" ".join(errors))
        text = fill(own_body, values).strip() + "\n"
        html = render_to_string("invitations/emails/own_text.html", {**context, "body": body_html(text)})
    return subject, text, html


def check_survey(survey: object) -> list[str]:
    """Problems of every own text of a survey, each prefixed with where it is (for refusing to send)."""
    where = {
        "invitation_subject": _("Betreff der Einladung"), "invitation_body": _("Text der Einladung"),
        "reminder_subject": _("Betreff der Erinnerung"), "reminder_body": _("Text der Erinnerung"),
    }
    found = []
    for field, label in where.items():
        value = getattr(survey, field)
        if value.strip():
            for problem in problems(value, require_link=field.endswith("_body")):
                found.append(f"{label}: {problem}")
    return found
