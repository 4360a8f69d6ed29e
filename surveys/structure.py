"""The shape of a survey as immutable objects, and the visibility rules built on the conditions.

`get_structure(survey)` builds a SurveyStructure from the tables once per survey pk, language and
definition_hash and keeps it in a module-level dict: later calls do no database queries. The
questionnaire editor and the survey's text forms change definition_hash with every edit (a new version
token, surveys.definition.sync.mark_edited), so each process rebuilds on its next request after an edit.
The cache only holds what the definition says, so it is safe for several processes: each builds
its own copy, and a reload changes definition_hash, which changes the key. It is per process rather
than in Django's cache on Redis because every respondent request needs it: from memory it costs
microseconds, from Redis a round trip plus unpickling (KGSt: 9 KB, ~0.4 ms) on every request, against
building it from the tables (~20 ms) once per process and version. Each structure also remembers the
visibility per combination of condition answers (SurveyStructure.visibility), bounded, and drops it with
the structure when the definition changes.

Visibility works on *effective* answers: walking the questions in order, an answer to a question
that is not shown counts as no answer. So a left-over answer (say B2_zweck after B1_nutzung was
changed to "Nein") can never show a page — conditions only refer to earlier questions (checked at
load time), so one pass in order decides everything.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from . import conditions
from .models import Survey

Answers = Mapping[str, "str | list[str] | None"]


@dataclass(frozen=True)
class OptionDef:
    code: str
    label: str
    exclusive: bool
    has_text: bool
    text_variable: str | None  # "<question>_<option>_text" when has_text


@dataclass(frozen=True)
class RowDef:
    code: str
    label: str


@dataclass(frozen=True)
class QuestionDef:
    id: int
    code: str
    type: str
    text: str
    help_text: str
    required: bool
    condition: str
    min_value: int | None
    max_value: int | None
    max_length: int | None
    options: tuple[OptionDef, ...]
    rows: tuple[RowDef, ...]
    page_code: str
    condition_node: conditions.Node | None = field(default=None, compare=False, repr=False)
    # the variables the question's own condition refers to
    condition_variables: frozenset[str] = field(default=frozenset(), compare=False, repr=False)
    lang: str = "de"  # the language of text/help/labels: "en" only where the English wording exists

    @property
    def variables(self) -> tuple[str, ...]:
        """The answers-mapping keys (data columns) this question produces: the row codes of a matrix,
        otherwise the question code followed by the "other" text variables."""
        if self.type == "matrix":
            return tuple(row.code for row in self.rows)
        return (self.code,) + tuple(o.text_variable for o in self.options if o.text_variable)

    @property
    def choice_variables(self) -> tuple[str, ...]:
        """The variables that carry option codes: the question code, or each matrix row code."""
        return tuple(row.code for row in self.rows) if self.type == "matrix" else (self.code,)

    def option(self, code: str) -> OptionDef | None:
        return next((o for o in self.options if o.code == code), None)


@dataclass(frozen=True)
class PageDef:
    id: int
    code: str
    position: int
    title: str
    intro: str
    condition: str
    questions: tuple[QuestionDef, ...]
    condition_node: conditions.Node | None = field(default=None, compare=False, repr=False)
    lang: str = "de"  # the language of title/intro


@dataclass(frozen=True)
class Visibility:
    """What is shown for one set of answers to the condition variables."""

    pages: tuple[PageDef, ...]
    questions: tuple[QuestionDef, ...]
    page_codes: frozenset[str]
    question_codes: frozenset[str]


@dataclass(frozen=True)
class SurveyStructure:
    survey_id: int
    definition_hash: str
    pages: tuple[PageDef, ...]
    _pages_by_code: Mapping[str, PageDef] = field(default_factory=dict, compare=False, repr=False)
    _questions_by_code: Mapping[str, QuestionDef] = field(default_factory=dict, compare=False, repr=False)
    _question_by_variable: Mapping[str, QuestionDef] = field(default_factory=dict, compare=False, repr=False)
    # every variable a page or question condition refers to
    condition_variables: tuple[str, ...] = field(default=(), compare=False, repr=False)
    # Visibility by the values of condition_variables (see visibility()); bounded, and it goes with the
    # structure when the definition changes.
    _visibility_memo: dict[tuple, Visibility] = field(default_factory=dict, compare=False, repr=False)

    # lookups (computed once: the structure is immutable)
    @functools.cached_property
    def questions(self) -> tuple[QuestionDef, ...]:
        return tuple(q for page in self.pages for q in page.questions)

    @functools.cached_property
    def variables(self) -> tuple[str, ...]:
        return tuple(v for q in self.questions for v in q.variables)

    @functools.cached_property
    def option_order(self) -> Mapping[str, Mapping[str, int]]:
        """Multiple-choice question code → {option code: position}, for ordering chosen options."""
        return {q.code: {o.code: i for i, o in enumerate(q.options)} for q in self.questions if q.type == "multi"}

    def page(self, code: str) -> PageDef:
        """The page with this code; KeyError when there is none."""
        return self._pages_by_code[code]

    def question(self, code: str) -> QuestionDef:
        """The question with this code; KeyError when there is none."""
        return self._questions_by_code[code]

    def question_for_variable(self, variable: str) -> QuestionDef | None:
        return self._question_by_variable.get(variable)

    # visibility
    def visibility(self, answers: Answers) -> Visibility:
        """The shown pages and questions for `answers`: one pass in order, where a question's
        condition sees only the answers of shown questions.

        Conditions read only condition_variables, so the result depends on their values alone and is
        remembered per combination: one request asks four to six times (page shown? questions shown?
        progress, next and previous page) with the same answers, and respondents share combinations.
        """
        key = tuple(_hashable(answers.get(name)) for name in self.condition_variables)
        found = self._visibility_memo.get(key)
        if found is None:
            found = self._visibility(answers)
            if len(self._visibility_memo) >= VISIBILITY_MEMO_SIZE:
                self._visibility_memo.clear()
            self._visibility_memo[key] = found
        return found

    def _visibility(self, answers: Answers) -> Visibility:
        effective: dict[str, str | list[str]] = {}
        pages, questions = [], []
        for page in self.pages:
            if not conditions.evaluate(page.condition_node, effective):
                continue
            pages.append(page)
            for question in page.questions:
                if not conditions.evaluate(question.condition_node, effective):
                    continue
                questions.append(question)
                for variable in question.variables:
                    value = answers.get(variable)
                    if value is not None:
                        effective[variable] = value
        return Visibility(tuple(pages), tuple(questions), frozenset(p.code for p in pages),
                          frozenset(q.code for q in questions))

    def effective_answers(self, answers: Answers) -> dict[str, str | list[str]]:
        """`answers` without the answers of questions that are not shown (evaluated in order)."""
        return {
            variable: value
            for question in self.visibility(answers).questions
            for variable in question.variables
            if (value := answers.get(variable)) is not None
        }

    def is_page_shown(self, page: PageDef | str, answers: Answers) -> bool:
        code = page if isinstance(page, str) else page.code
        self.page(code)  # KeyError for an unknown page, as before
        return code in self.visibility(answers).page_codes

    def is_question_shown(self, question: QuestionDef | str, answers: Answers) -> bool:
        """True when the question's page is shown and the question's own condition holds."""
        code = question if isinstance(question, str) else question.code
        self.question(code)
        return code in self.visibility(answers).question_codes

    def visible_pages(self, answers: Answers) -> tuple[PageDef, ...]:
        return self.visibility(answers).pages

    def shown_questions(self, answers: Answers) -> tuple[QuestionDef, ...]:
        """Every question the respondent is shown, in order."""
        return self.visibility(answers).questions

    def next_page(self, code: str, answers: Answers) -> PageDef | None:
        """The next visible page after page `code` (None after the last)."""
        position = self.page(code).position
        return next((p for p in self.visible_pages(answers) if p.position > position), None)

    def previous_page(self, code: str, answers: Answers) -> PageDef | None:
        position = self.page(code).position
        earlier = [p for p in self.visible_pages(answers) if p.position < position]
        return earlier[-1] if earlier else None


VISIBILITY_MEMO_SIZE = 256  # combinations of condition answers kept per structure


def _hashable(value: str | list[str] | None) -> str | tuple[str, ...] | None:
    return tuple(value) if isinstance(value, list) else value


_cache: dict[tuple[int, str], SurveyStructure] = {}
_lock = threading.Lock()


def get_structure(survey: Survey, language: str | None = "de") -> SurveyStructure:
    """The survey's structure, built once per (pk, language, definition_hash) and then served from memory.

    `language` "en" (or "en-gb" …) gives the English wording where a text has one and German otherwise
    (the respondent's language switch); everything else — codes, conditions, exports — is the same."""
    lang = "en" if language and language.lower().startswith("en") else "de"
    cached = _cache.get((survey.pk, lang))
    if cached is not None and cached.definition_hash == survey.definition_hash:
        return cached
    structure = _build(survey, lang)
    with _lock:
        _cache[(survey.pk, lang)] = structure
    return structure


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def _parse(expr: str) -> conditions.Node | None:
    return conditions.parse(expr) if expr.strip() else None


def _localized(german: str, english: str, lang: str) -> str:
    return english if lang == "en" and english else german


def _build(survey: Survey, lang: str = "de") -> SurveyStructure:
    pages = []
    for page in survey.pages.order_by("position").prefetch_related("questions__options", "questions__rows"):
        questions = tuple(
            QuestionDef(
                id=q.pk, code=q.code, type=q.type, text=_localized(q.text, q.text_en, lang),
                help_text=_localized(q.help_text, q.help_text_en, lang), required=q.required,
                condition=q.condition, min_value=q.min_value, max_value=q.max_value, max_length=q.max_length,
                options=tuple(
                    OptionDef(o.code, _localized(o.label, o.label_en, lang), o.exclusive, o.has_text,
                              f"{q.code}_{o.code}_text" if o.has_text else None)
                    for o in sorted(q.options.all(), key=lambda o: o.position)
                ),
                rows=tuple(RowDef(r.code, _localized(r.label, r.label_en, lang))
                           for r in sorted(q.rows.all(), key=lambda r: r.position)),
                page_code=page.code,
                condition_node=_parse(q.condition),
                condition_variables=frozenset(conditions.variables(q.condition)),
                lang="en" if lang == "en" and q.text_en else "de",
            )
            for q in sorted(page.questions.all(), key=lambda q: q.position)
        )
        pages.append(PageDef(page.pk, page.code, page.position, _localized(page.title, page.title_en, lang),
                             _localized(page.intro, page.intro_en, lang), page.condition, questions,
                             condition_node=_parse(page.condition),
                             lang="en" if lang == "en" and page.title_en else "de"))
    questions = [q for p in pages for q in p.questions]
    referenced = set().union(*(conditions.variables(x.condition) for x in [*pages, *questions]))
    return SurveyStructure(
        condition_variables=tuple(sorted(referenced)),
        survey_id=survey.pk,
        definition_hash=survey.definition_hash,
        pages=tuple(pages),
        _pages_by_code={p.code: p for p in pages},
        _questions_by_code={q.code: q for q in questions},
        _question_by_variable={v: q for q in questions for v in q.variables},
    )
