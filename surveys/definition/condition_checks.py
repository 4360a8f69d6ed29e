"""The conditions of a definition checked against the questionnaire: they must parse and may only refer to
questions asked before them, and compare choice questions only with their option codes. Shared by
validation (a whole file) and the questionnaire editor (just what a change can affect)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from surveys import conditions
from surveys.definition_errors import Message

from .canonical import CHOICE_TYPES, question_variables


@dataclass
class ConditionContext:
    kinds: dict[str, str]  # variable → kind (question type, "row", "text"; "matrix" for a matrix's own code)
    option_codes: dict[str, set[str]]  # choice variable → its option codes
    before: set[str]  # variables of questions asked before the current point


def condition_errors(data: dict[str, Any]) -> list[str]:
    """The condition problems of a whole definition as validation reports them (English and German)."""
    return [Message(str(problem), _("%(owner)s: Bedingung „%(expr)s“: %(why)s"), expr=problem.expr,
                    owner=(_("Frage %(code)s") % {"code": problem.question} if problem.question
                           else _("Seite %(code)s") % {"code": problem.page}), why=problem.message())
            for problem in condition_problems(data)]


@dataclass(frozen=True)
class ConditionProblem:
    """A condition that does not parse or refers to something it may not; `position` is the 0-based
    character offset in `expr`. English via `str()` (command line), German via `message()`."""

    owner: str  # "page P3" or a question code
    page: str  # code of the page the condition belongs to (its own or its question's)
    question: str | None  # question code, None for a page condition
    expr: str
    position: int
    english: str
    german: Any
    params: tuple[tuple[str, Any], ...] = ()

    def __str__(self) -> str:
        return f"{self.owner}: condition {self.expr!r} at position {self.position}: {self.english}"

    def message(self) -> str:
        return str(self.german) % {**dict(self.params), "position": self.position + 1}


def condition_problems(data: dict[str, Any]) -> list[ConditionProblem]:
    """Conditions must parse and may only refer to questions asked before them: a page condition to
    earlier pages, a question condition to earlier pages or earlier on its own page. Values compared
    with a choice variable must be option codes of that question. Works on any definition shape the
    editor produces (pages may still be empty)."""
    ctx = ConditionContext({}, {}, set())
    for page in data["pages"]:
        for question in page["questions"]:
            ctx.kinds.update(question_variables(question))
            codes = {o["code"] for o in question.get("options", [])}
            if question["type"] == "matrix":
                ctx.kinds[question["code"]] = "matrix"
                ctx.option_codes.update({row["code"]: codes for row in question.get("rows", [])})
            elif question["type"] in CHOICE_TYPES:
                ctx.option_codes[question["code"]] = codes
    problems: list[ConditionProblem] = []
    for page in data["pages"]:
        if "show_if" in page:
            problems.extend(check_condition(f"page {page['code']}", page["code"], None, page["show_if"], ctx,
                                             "on an earlier page"))
        for question in page["questions"]:
            if "show_if" in question:
                problems.extend(check_condition(question["code"], page["code"], question["code"],
                                                 question["show_if"], ctx, "before this question"))
            ctx.before.update(question_variables(question))
    return problems


def check_condition(owner: str, page: str, question: str | None, expr: str, ctx: ConditionContext,
                     place: str) -> list[ConditionProblem]:
    def problem(position: int, english: str, german: Any, **params: Any) -> ConditionProblem:
        return ConditionProblem(owner, page, question, expr, position, english, german, tuple(params.items()))

    try:
        node = conditions.parse(expr, known=ctx.kinds)
    except conditions.ConditionError as exc:
        return [problem(exc.position, exc.message,
                        _("Die Bedingung ist an Position %(position)s nicht lesbar: %(detail)s"), detail=exc.message)]
    problems = []
    for ref in conditions.references(node):
        if ref.name not in ctx.before:
            german = (_("„%(name)s“ an Position %(position)s wird nicht auf einer früheren Seite gefragt; eine "
                        "Bedingung darf sich nur auf vorher gestellte Fragen beziehen.") if question is None else
                      _("„%(name)s“ an Position %(position)s wird nicht vor dieser Frage gefragt; eine Bedingung "
                        "darf sich nur auf vorher gestellte Fragen beziehen."))
            problems.append(problem(ref.position, f"{ref.name!r} is not asked {place}", german, name=ref.name))
    for test in conditions.tests(node):
        if isinstance(test, conditions.Answered):
            continue  # `answered X` names no option code
        if isinstance(test, conditions.Compare) and test.op not in ("=", "!="):
            continue
        allowed = ctx.option_codes.get(test.var.name)
        values = test.values if isinstance(test, conditions.In) else (test.value,)
        for value in values:
            if allowed is not None and value.value not in allowed:
                codes = ", ".join(sorted(allowed))
                problems.append(problem(
                    test.var.position, f"{value.value!r} is not an option code of {test.var.name} ({codes})",
                    _("„%(value)s“ an Position %(position)s ist kein Optionscode von %(name)s (möglich: %(codes)s)."),
                    value=value.value, name=test.var.name, codes=codes))
    return problems
