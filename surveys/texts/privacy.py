"""The survey's privacy notice for respondents: its own text, or the DSGVO Art. 13 notice built from it.

Shown on respondent pages (welcome page, privacy page, printable questionnaire) and on staff pages,
so it lives next to the survey rather than in one of the apps that show it.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from surveys.models import Survey


def retention_days() -> int:
    """Days after the end of a survey until answers no longer name their member (settings.RETENTION_DAYS)."""
    return int(getattr(settings, "RETENTION_DAYS", 365))


def default_privacy_sections(survey: Survey) -> list[tuple[str, str]]:
    """The DSGVO Art. 13 notice built from the survey's organisers and contact, as (heading, text).

    Used when staff left `privacy_notice` blank, so a survey never starts without one: who is
    responsible, how to reach them, purpose and legal basis, what is stored, who receives it,
    how long it is kept, and the respondent's rights.
    """
    organisers = survey.organisers or _("die Veranstalter dieser Befragung")
    contact = survey.contact_email or settings.SURVEY_CONTACT
    return [
        (_("Verantwortlich"), _("Verantwortlich für die Verarbeitung Ihrer Angaben ist: %(organisers)s. "
                                "Sie erreichen uns unter %(contact)s.") % {"organisers": organisers,
                                                                          "contact": contact}),
        (_("Zweck und Rechtsgrundlage"), _(
            "Wir verarbeiten Ihre Angaben, um die Befragung „%(title)s“ durchzuführen und auszuwerten. "
            "Die Teilnahme ist freiwillig; Rechtsgrundlage ist Ihre Einwilligung (Art. 6 Abs. 1 lit. a "
            "DSGVO), die Sie mit dem Absenden Ihrer Antworten erteilen und jederzeit für die Zukunft "
            "widerrufen können.") % {"title": survey.title}),
        (_("Welche Daten"), _(
            "Gespeichert werden Ihre Antworten und, über Ihren persönlichen Link, die Zuordnung zu Ihrer "
            "Kommune sowie die E-Mail-Adresse, an die die Einladung ging. IP-Adressen werden nicht "
            "gespeichert. Ergebnisse werden nur zusammengefasst veröffentlicht, sodass keine einzelne "
            "Kommune erkennbar ist.")),
        (_("Empfänger"), _("Ihre Angaben erhält nur das Auswertungsteam von %(organisers)s. Sie werden "
                           "nicht an Dritte weitergegeben.") % {"organisers": organisers}),
        (_("Speicherdauer"), _(
            "Die Zuordnung Ihrer Antworten zu Ihrer Kommune und Ihre Kontaktdaten werden spätestens "
            "%(days)d Tage nach dem Ende der Befragung gelöscht; danach bleiben nur anonyme "
            "Antworten.") % {"days": retention_days()}),
        (_("Ihre Rechte"), _(
            "Sie haben das Recht auf Auskunft (Art. 15 DSGVO), Berichtigung (Art. 16), Löschung (Art. 17), "
            "Einschränkung der Verarbeitung (Art. 18) und Widerspruch (Art. 21) sowie das Recht, Ihre "
            "Einwilligung zu widerrufen. Wenden Sie sich dazu an %(contact)s. Sie können sich außerdem bei "
            "einer Datenschutz-Aufsichtsbehörde beschweren (Art. 77 DSGVO).") % {"contact": contact}),
    ]


def privacy_paragraphs(survey: Survey) -> list[tuple[str, str]]:
    """The privacy notice to show: the survey's own text (paragraphs) or the default sections."""
    own = survey.privacy_notice.strip()
    if own:
        return [("", block.strip()) for block in own.replace("\r\n", "\n").split("\n\n") if block.strip()]
    return default_privacy_sections(survey)
