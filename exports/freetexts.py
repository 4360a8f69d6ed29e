"""Free-text answers per question, with the municipality: what analysts otherwise read in Excel.

A free-text variable is the answer of a one-line or long text question, or the "other, please
specify" text of a choice option (`<code>_<option>_text`). The same rule as the result tables
decides what is listed: submitted responses only unless partial ones are asked for, and only
responses that were *shown* the question — a stale answer of a question that later answers hid
is not listed, exactly as it is not counted (see aggregation.py). Shown-ness is decided by the
questionnaire's own evaluation on each response's condition answers, once per distinct set of
those answers (a few dozen for the KGSt survey), not once per response.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from responses.models import Answer
from surveys.models import Survey
from surveys.structure import QuestionDef, SurveyStructure, get_structure

from .aggregation import AnswerIndex, raw_counts, snapshot, statuses

FREE_TEXT_TYPES = ("text", "textarea")


@dataclass(frozen=True)
class FreeTextVariable:
    variable: str
    question: QuestionDef
    option_label: str = ""  # the "other" option whose text this is

    @property
    def label(self) -> str:
        return f"{self.question.text} – {self.option_label}" if self.option_label else self.question.text


def free_text_variables(structure: SurveyStructure) -> list[FreeTextVariable]:
    """Every free-text variable in questionnaire order."""
    found = []
    for question in structure.questions:
        if question.type in FREE_TEXT_TYPES:
            found.append(FreeTextVariable(question.code, question))
        for option in question.options:
            if option.has_text and option.text_variable:
                found.append(FreeTextVariable(option.text_variable, question, option.label))
    return found


def find_variable(structure: SurveyStructure, variable: str) -> FreeTextVariable | None:
    return next((v for v in free_text_variables(structure) if v.variable == variable), None)


def counts(survey: Survey, include_partial: bool = False) -> dict[str, int]:
    """Free-text variable → number of listed answers, by the result tables' own counting."""
    structure = get_structure(survey)
    with snapshot():
        answered = raw_counts(survey, include_partial).answered
    return {v.variable: answered.get(v.variable, 0) for v in free_text_variables(structure)}


@dataclass
class FreeTextAnswer:
    response_id: int
    text: str
    name: str
    ags: str
    land: str
    status: str
    submitted_at: datetime | None


def _candidates(survey: Survey, item: FreeTextVariable, include_partial: bool, search: str) -> QuerySet[Answer]:
    rows = (Answer.objects.filter(response__survey=survey, response__status__in=statuses(include_partial),
                                  question_id=item.question.id, variable=item.variable)
            .exclude(value=""))
    search = search.strip()
    if search:
        rows = rows.filter(Q(value__icontains=search) | Q(response__invitation__member__name__icontains=search)
                           | Q(response__invitation__member__ags__startswith=search))
    return rows


def answers(survey: Survey, variable: str, search: str = "", include_partial: bool = False) -> list[FreeTextAnswer]:
    """The listed answers of one free-text variable (matching `search` in the text, the municipality's
    name or the start of its AGS, case-insensitive), ordered by municipality; [] for an unknown variable."""
    structure = get_structure(survey)
    item = find_variable(structure, variable)
    if item is None:
        return []
    with snapshot():
        rows = _candidates(survey, item, include_partial, search)
        found = list(rows.order_by("response__invitation__member__name", "response_id").values_list(
            "response_id", "value", "response__invitation__member__name", "response__invitation__member__ags",
            "response__invitation__member__land", "response__status", "response__submitted_at"))
        shown = _shown_responses(survey, structure, item.question, rows)
    return [FreeTextAnswer(*row) for row in found if row[0] in shown]


def _shown_responses(survey: Survey, structure: SurveyStructure, question: QuestionDef,
                     rows: QuerySet[Answer]) -> set[int]:
    """The responses among `rows` that were shown `question`: their condition answers in one query,
    each distinct set evaluated once with the questionnaire's own visibility."""
    ids = set(rows.values_list("response_id", flat=True))
    condition_variables = list(structure.condition_variables)
    if not ids or not condition_variables:
        return ids if structure.is_question_shown(question, {}) else set()
    index = AnswerIndex(structure)
    by_response: dict[int, list[tuple[str, str]]] = {rid: [] for rid in ids}
    condition_rows = (Answer.objects.filter(response_id__in=rows.values("response_id"),
                                            variable__in=condition_variables)
                      .exclude(value="").values_list("response_id", "variable", "value"))
    for rid, var, value in condition_rows:
        by_response[rid].append((var, value))
    verdicts: dict[tuple, bool] = {}
    shown = set()
    for rid, pairs in by_response.items():
        key = tuple(sorted(pairs))
        if key not in verdicts:
            verdicts[key] = structure.is_question_shown(question, index.mapping(key))
        if verdicts[key]:
            shown.add(rid)
    return shown
