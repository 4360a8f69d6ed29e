"""The survey's own texts for respondents: the privacy notice and conditions in plain words.

Both are shown on respondent pages (welcome page, privacy page, printable questionnaire) and on
staff pages, so they live next to the survey rather than in one of the apps that show them.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.utils.translation import gettext as _

from . import conditions
from .models import Survey
from .structure import SurveyStructure


def retention_days() -> int:
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


# --- conditions in words ----------------------------------------------------------------

_OPS = {"=": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥"}


def _labels(structure: SurveyStructure, variable: str) -> Mapping[str, str]:
    question = structure.question_for_variable(variable)
    return {o.code: o.label for o in question.options} if question is not None else {}


def _value(structure: SurveyStructure, variable: str, literal: conditions.Literal) -> str:
    label = _labels(structure, variable).get(literal.value)
    return f"„{label}“" if label else literal.value


def _words(node: conditions.Node, structure: SurveyStructure, nested: bool = False) -> str:
    if isinstance(node, conditions.And | conditions.Or):
        joiner = _(" und ") if isinstance(node, conditions.And) else _(" oder ")
        text = joiner.join(_words(item, structure, nested=True) for item in node.items)
        return f"({text})" if nested else text
    if isinstance(node, conditions.Not):
        return _("nicht %(part)s") % {"part": _words(node.operand, structure, nested=True)}
    name = node.var.name
    if isinstance(node, conditions.Answered):
        return _("%(var)s beantwortet") % {"var": name}
    if isinstance(node, conditions.Contains):
        return _("bei %(var)s %(value)s gewählt") % {"var": name, "value": _value(structure, name, node.value)}
    if isinstance(node, conditions.In):
        values = _(" oder ").join(_value(structure, name, v) for v in node.values)
        return f"{name} = {values}"
    return f"{name} {_OPS[node.op]} {_value(structure, name, node.value)}"


def condition_in_words(condition_node: conditions.Node | None, structure: SurveyStructure) -> str:
    """"nur wenn B1_nutzung = „Ja“" for a condition; "" when there is none."""
    if condition_node is None:
        return ""
    return _("nur wenn %(condition)s") % {"condition": _words(condition_node, structure)}
