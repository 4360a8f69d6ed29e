"""What may no longer change once a question has answers: wording and labels may, codes, types, options
and rows may not (nor limits that would make a stored answer invalid). One set of rules for
`load_survey`, the upload and the questionnaire editor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from surveys.definition_errors import Message
from surveys.models import Question, Survey


@dataclass(frozen=True)
class Refusal:
    """Why a change of an answered question is refused: English for the command line (`str()`),
    German for the staff area (`message()`, translated)."""

    english: str
    german: Any  # a lazily translated template with %(name)s placeholders
    params: tuple[tuple[str, Any], ...] = ()

    def __str__(self) -> str:
        return self.english

    def message(self) -> str:
        return str(self.german) % dict(self.params)


def answered_refusals(survey: Survey, data: dict[str, Any]) -> list[str]:
    """Why the new definition may not be loaded: one line per answered variable it would alter/remove."""
    answered = list(
        Question.objects.filter(survey=survey, answers__isnull=False).distinct()
        .prefetch_related("options", "rows").order_by("page__position", "position")
    )
    if not answered:
        return []
    new = {q["code"]: q for page in data["pages"] for q in page["questions"]}
    return [Message(f"{question.code}: {why}", _("%(code)s: %(why)s"), code=question.code, why=why.message())
            for question in answered for why in question_refusals(question, new.get(question.code))]


def question_refusals(question: Question, qdef: dict[str, Any] | None) -> list[Refusal]:
    """Why an answered `question` may not become `qdef` (None: be removed); empty when it may.

    The one place of the rules "wording may change; codes, types, options and rows of answered
    questions may not", shared by `load_survey` and the questionnaire editor."""
    if qdef is None:
        return [Refusal("removed", _("Die Frage %(code)s hat bereits Antworten und kann nicht gelöscht werden."),
                        (("code", question.code),))]
    return _question_changes(question, qdef)


def _question_changes(question: Question, qdef: dict[str, Any]) -> list[Refusal]:
    if question.type != qdef["type"]:
        return [Refusal(f"type changed from {question.type} to {qdef['type']}",
                        _("Der Fragetyp kann nicht mehr geändert werden (von „%(old)s“ zu „%(new)s“), "
                          "weil die Frage bereits Antworten hat."),
                        (("old", question.type), ("new", qdef["type"])))]
    why: list[Refusal] = []
    new_options = {o["code"]: o for o in qdef.get("options", [])}
    for option in question.options.all():
        odef = new_options.get(option.code)
        code = (("code", option.code),)
        if odef is None:
            why.append(Refusal(f"option code {option.code!r} removed",
                               _("Die Antwortoption mit dem Code %(code)s wurde bereits gewählt oder gehört zu "
                                 "einer beantworteten Frage; ihr Code kann nicht entfernt oder geändert werden."),
                               code))
            continue
        if option.has_text and not odef.get("other_text", False):
            why.append(Refusal(f"other text of option {option.code!r} removed ({option.text_variable})",
                               _("Das Freitextfeld der Option %(code)s kann nicht mehr entfernt werden."), code))
        if odef.get("exclusive", False) and not option.exclusive:
            why.append(Refusal(f"option {option.code!r} made exclusive",
                               _("Die Option %(code)s kann nicht mehr exklusiv gemacht werden."), code))
    new_rows = {r["code"] for r in qdef.get("rows", [])}
    why.extend(Refusal(f"row {row.code!r} removed",
                       _("Die Zeile mit dem Code %(code)s hat bereits Antworten; ihr Code kann nicht entfernt "
                         "oder geändert werden."), (("code", row.code),))
               for row in question.rows.all() if row.code not in new_rows)
    why.extend(_limit_changes(question, qdef))
    return why


def _limit_changes(question: Question, qdef: dict[str, Any]) -> list[Refusal]:
    why: list[Refusal] = []
    new_min, new_max, new_len = qdef.get("min"), qdef.get("max"), qdef.get("max_length")
    if new_min is not None and (question.min_value is None or new_min > question.min_value):
        why.append(Refusal(f"minimum raised from {question.min_value} to {new_min}",
                           _("Das Minimum kann nicht mehr erhöht werden (bisher %(old)s, neu %(new)s)."),
                           (("old", question.min_value), ("new", new_min))))
    if new_max is not None and (question.max_value is None or new_max < question.max_value):
        why.append(Refusal(f"maximum lowered from {question.max_value} to {new_max}",
                           _("Das Maximum kann nicht mehr gesenkt werden (bisher %(old)s, neu %(new)s)."),
                           (("old", question.max_value), ("new", new_max))))
    if new_len is not None and (question.max_length is None or new_len < question.max_length):
        why.append(Refusal(f"max_length reduced from {question.max_length} to {new_len}",
                           _("Die maximale Länge kann nicht mehr verringert werden (bisher %(old)s, neu %(new)s)."),
                           (("old", question.max_length), ("new", new_len))))
    return why
