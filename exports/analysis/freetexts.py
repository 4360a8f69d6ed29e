"""Free-text answers per question, with the municipality: what analysts otherwise read in Excel.

A free-text variable is the answer of a one-line or long text question, or the "other, please
specify" text of a choice option (`<code>_<option>_text`). The same rule as the result tables
decides what is listed: submitted responses only unless partial ones are asked for, and only
responses that were *shown* the question — a stale answer of a question that later answers hid
is not listed, exactly as it is not counted (see aggregation.py). Shown-ness is decided by the
questionnaire's own evaluation on each response's condition answers, once per distinct set of
those answers (a few dozen for the KGSt survey), not once per response. In practice almost every
answer is shown (submitting drops the answers of hidden questions), so the few hidden responses
are excluded by id and counting, searching and paging stay one SQL query each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import RawSQL

from responses.models import Answer, Response
from surveys import conditions
from surveys.models import Survey
from surveys.structure import QuestionDef, SurveyStructure, get_structure

from .aggregation import AnswerIndex, snapshot, statuses
from .rawsql import sql

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
    """Free-text variable → number of listed answers (one signature query per variable)."""
    structure = get_structure(survey)
    with snapshot():
        return {item.variable: _split(survey, structure, item, include_partial)[0]
                for item in free_text_variables(structure)}


def answers(survey: Survey, variable: str, search: str = "", include_partial: bool = False) -> QuerySet | None:
    """The listed answers of one free-text variable as rows (response_id, text, name, ags, land, status),
    ordered by municipality, for a Paginator: counting and the page's slice stay in the database.
    `search` matches the text, the municipality's name or the start of its AGS, case-insensitive.
    None for an unknown variable."""
    structure = get_structure(survey)
    item = find_variable(structure, variable)
    if item is None:
        return None
    _shown, hidden = _split(survey, structure, item, include_partial, need_count=False)
    rows = _rows(survey, item, include_partial)
    if hidden:
        rows = rows.exclude(response_id__in=_id_list(hidden))
    search = search.strip()
    if search:
        member = "response__invitation__member__"
        rows = rows.filter(Q(value__icontains=search) | Q(**{f"{member}name__icontains": search})
                           | Q(**{f"{member}ags__startswith": search}))
    return rows.order_by("response__invitation__member__name", "response_id").values(
        "response_id", text=F("value"), name=F("response__invitation__member__name"),
        ags=F("response__invitation__member__ags"), land=F("response__invitation__member__land"),
        status=F("response__status"))


def _id_list(ids: list[int]) -> Any:
    """`ids` for an `__in` lookup: one array parameter, whatever their number."""
    return RawSQL("SELECT unnest(%s::bigint[])", [ids])


# Responses with an answer to the variable, grouped by their condition answers ("signature", as in
# aggregation.py): one row per distinct signature with the ids of its responses.
_SIGNATURES_SQL = sql("""
WITH cand AS MATERIALIZED (
    SELECT DISTINCT a.{Answer.response} AS id
    FROM {Answer} a JOIN {Response} r ON r.{Response.id} = a.{Answer.response}
    WHERE r.{Response.survey} = %(survey)s AND r.{Response.status} = ANY(%(statuses)s)
      AND a.{Answer.question} = %(qid)s AND a.{Answer.variable} = %(variable)s AND a.{Answer.value} <> ''
),
cond AS (
    SELECT a.{Answer.response} AS id, array_agg(a.{Answer.variable}::text) AS vars, array_agg(a.{Answer.value}) AS vals
    FROM {Answer} a JOIN cand ON cand.id = a.{Answer.response}
    WHERE a.{Answer.variable} = ANY(%(cond_vars)s) AND a.{Answer.value} <> ''
    GROUP BY 1
)
SELECT COALESCE(cond.vars, '{{}}'), COALESCE(cond.vals, '{{}}'), array_agg(cand.id)
FROM cand LEFT JOIN cond ON cond.id = cand.id
GROUP BY 1, 2""", Answer=Answer, Response=Response)


def deciding_variables(structure: SurveyStructure, question: QuestionDef) -> set[str]:
    """The variables whose answers can decide whether `question` is shown: those of its page's and its
    own condition, and, since a condition sees only answers of shown questions, those deciding about
    the questions they belong to, and so on. Empty for an unconditional question on an unconditional
    page (H1_anmerkungen): then every answer is listed without looking at other answers."""
    found: set[str] = set()
    todo = [question]
    seen: set[str] = set()
    while todo:
        current = todo.pop()
        if current.code in seen:
            continue
        seen.add(current.code)
        page = structure.page(current.page_code)
        for variable in conditions.variables(page.condition_node) | set(current.condition_variables):
            found.add(variable)
            owner = structure.question_for_variable(variable)
            if owner is not None:
                todo.append(owner)
    return found


def _signatures(survey: Survey, structure: SurveyStructure, item: FreeTextVariable,
                include_partial: bool) -> list[tuple[list[str], list[str], list[int]]]:
    cond_vars = sorted(deciding_variables(structure, item.question))
    if not cond_vars:  # nothing decides: one signature (no answers), evaluated once by the caller
        return [([], [], [])] if structure.is_question_shown(item.question, {}) else [([], [], _all_ids(
            survey, item, include_partial))]
    with connection.cursor() as cursor:
        cursor.execute(_SIGNATURES_SQL, {"survey": survey.pk, "statuses": statuses(include_partial),
                                         "qid": item.question.id, "variable": item.variable,
                                         "cond_vars": cond_vars})
        return cursor.fetchall()


def _all_ids(survey: Survey, item: FreeTextVariable, include_partial: bool) -> list[int]:
    return list(_rows(survey, item, include_partial).values_list("response_id", flat=True))


def _rows(survey: Survey, item: FreeTextVariable, include_partial: bool) -> QuerySet[Answer]:
    return (Answer.objects.filter(response__survey=survey, response__status__in=statuses(include_partial),
                                  question_id=item.question.id, variable=item.variable)
            .exclude(value=""))


def _split(survey: Survey, structure: SurveyStructure, item: FreeTextVariable,
           include_partial: bool, need_count: bool = True) -> tuple[int, list[int]]:
    """(number of responses with an answer that were shown the question, ids of those that were not):
    each distinct signature is evaluated once with the questionnaire's own visibility. Without
    deciding variables the count is one COUNT query (skipped when the caller counts anyway)."""
    if not deciding_variables(structure, item.question) and structure.is_question_shown(item.question, {}):
        return (_rows(survey, item, include_partial).count() if need_count else -1), []
    index = AnswerIndex(structure)
    verdicts: dict[tuple, bool] = {}
    shown, hidden = 0, []
    for variables, values, ids in _signatures(survey, structure, item, include_partial):
        key = tuple(sorted(zip(variables, values, strict=True)))
        if key not in verdicts:
            verdicts[key] = structure.is_question_shown(item.question, index.mapping(key))
        if verdicts[key]:
            shown += len(ids)
        else:
            hidden.extend(ids)
    return shown, hidden
