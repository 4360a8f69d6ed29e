"""The questionnaire editor's changes: one function per change, each checked, logged and in one transaction.

A change checks only what it can affect, so that a save costs the same in a survey of 20 questions and
of 1,000 (bench/editor.py):
- codes: the new codes and variables of the changed question against the others', looked up in the
  tables by name (`_Check.fetch`);
- conditions: the changed page's or question's own condition, and the conditions that name a variable
  the change renames, removes, retypes or moves (found by text, then parsed) — or, for a move, the
  conditions of what changes order. Each is checked by `definition.check_condition`, the check of
  `load_survey`, with the facts of just the questions it names, as they will be after the change.
A change breaking another question's condition (an option code it names, an order it relies on) is
refused with the reason. The rules once answers exist are those of `load_survey`
(`definition.question_refusals`).

Afterwards `definition.mark_edited` gives the survey a new version token instead of rehashing and
storing the whole definition: the structure cache (surveys/structure.py) of every process is keyed by
it, and `load_survey` compares a file with the tables when one is loaded (`definition.is_unchanged`).
"""

from __future__ import annotations

import functools
import operator
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import CharField, F, Q, Value
from django.db.models.functions import Concat
from django.utils.translation import gettext as _

from . import conditions
from .definition.canonical import CHOICE_TYPES, canonical_question, question_variables
from .definition.condition_checks import ConditionContext, check_condition
from .definition.export import question_definition, question_defs
from .definition.refusals import question_refusals
from .definition.sync import mark_edited
from .models import Option, Page, Question, Row, Survey, SurveyChange


class EditRefused(Exception):
    """The change was not saved; `messages` say why (German), `field_errors` map form fields to messages."""

    def __init__(self, messages: list[str], field_errors: dict[str, list[str]] | None = None) -> None:
        self.messages = messages
        self.field_errors = field_errors or {}
        super().__init__("; ".join(messages))


def _non_empty(**values: Any) -> dict[str, Any]:
    """Keys with their defaults ("" / False / None) left out, as a hand-written definition leaves them out."""
    return {key: value for key, value in values.items() if not (value is None or value is False or value == "")}


def page_dict(page: Page) -> dict[str, Any]:
    return {"code": page.code, "title": page.title,
            **_non_empty(title_en=page.title_en, intro=page.intro, intro_en=page.intro_en, show_if=page.condition)}


# --- checks ------------------------------------------------------------------------------------


@dataclass
class _Asked:
    """A question as the checks see it: where it is asked after the change, and what it produces."""

    code: str
    type: str
    key: tuple[int, int]  # (page position, position on the page)
    option_codes: set[str]
    variables: dict[str, str]  # definition.question_variables

    @classmethod
    def of(cls, qdef: dict[str, Any], key: tuple[int, int]) -> _Asked:
        return cls(qdef["code"], qdef["type"], key, {o["code"] for o in qdef.get("options", [])},
                   question_variables(qdef))

    @property
    def names(self) -> set[str]:
        """What must be unique in the survey: the question code (a matrix's too) and its variables."""
        return {self.code, *self.variables}


@dataclass
class _Owner:
    """A page's or question's condition to check, with its place after the change."""

    page: str
    question: str | None
    expr: str
    key: tuple[int, int]  # a page condition: (page position, 0), before its first question

    def references(self) -> set[str]:
        try:
            return conditions.variables(self.expr)
        except conditions.ConditionError:
            return set()  # does not parse: check_condition says where


@dataclass
class _Check:
    """The facts a change alters, to check the part of the questionnaire it can affect.

    `draft`/`draft_pk`: the changed or new question as it will be (the stored version is left out);
    `removed`: questions deleted; `page_positions`/`question_positions`: positions that change (a move)."""

    survey: Survey
    own_page: str | None = None
    own_question: str | None = None
    draft: _Asked | None = None
    draft_pk: int | None = None
    removed: set[int] = field(default_factory=set)
    page_positions: dict[int, int] = field(default_factory=dict)
    question_positions: dict[int, int] = field(default_factory=dict)
    owners: list[_Owner] = field(default_factory=list)

    def key(self, question: Question) -> tuple[int, int]:
        return (self.page_positions.get(question.page_id, question.page.position),
                self.question_positions.get(question.pk, question.position))

    def page_key(self, page: Page) -> tuple[int, int]:
        return (self.page_positions.get(page.pk, page.position), 0)

    def add_question_owners(self, questions: Any) -> None:
        for q in questions.exclude(condition="").exclude(pk__in=[*self.removed, self.draft_pk or 0]) \
                .select_related("page"):
            self.owners.append(_Owner(q.page.code, q.code, q.condition, self.key(q)))

    def add_page_owners(self, pages: Any) -> None:
        for page in pages.exclude(condition=""):
            self.owners.append(_Owner(page.code, None, page.condition, self.page_key(page)))

    def add_dependents(self, names: set[str]) -> None:
        """The conditions that name any of `names`: found by their text (a superset), checked by parsing."""
        if not names:
            return
        mentions = functools.reduce(operator.or_, (Q(condition__contains=name) for name in names))
        self.add_question_owners(Question.objects.filter(mentions, survey=self.survey))
        self.add_page_owners(Page.objects.filter(mentions, survey=self.survey))

    def fetch(self, names: set[str]) -> list[_Asked]:
        """The questions other than the draft that produce one of `names` (or are named so), as they will be."""
        if not names:
            return []
        # Uncorrelated subqueries (each runs once): a correlated EXISTS per question took 0.1 s at 1,000 questions.
        text_variables = (Option.objects.filter(question__survey=self.survey, has_text=True)
                          .annotate(variable=Concat(F("question__code"), Value("_"), "code", Value("_text"),
                                                    output_field=CharField()))
                          .filter(variable__in=names).values("question_id"))
        questions = (
            Question.objects.filter(survey=self.survey).exclude(pk__in=[*self.removed, self.draft_pk or 0])
            .filter(Q(code__in=names) | Q(pk__in=Row.objects.filter(question__survey=self.survey, code__in=names)
                                          .values("question_id")) | Q(pk__in=text_variables))
            .select_related("page").prefetch_related("options", "rows")
        )
        return [_Asked(q.code, q.type, self.key(q), {o.code for o in q.options.all()},
                        question_variables({"code": q.code, "type": q.type,
                                            "options": [{"code": o.code, "other_text": o.has_text}
                                                        for o in q.options.all()],
                                            "rows": [{"code": r.code} for r in q.rows.all()]}))
                for q in questions]

    def run(self) -> None:
        """Refuse the change (EditRefused) if a code collides or a condition no longer holds."""
        field_errors: dict[str, list[str]] = {}
        messages: list[str] = []

        def error(name: str, text: str) -> None:
            field_errors.setdefault(name, []).append(text)

        names = set(self.draft.names) if self.draft is not None else set()
        for owner in self.owners:
            names |= owner.references()
        others = {name: a for a in self.fetch(names) for name in a.names if name in names}
        asked = dict(others)
        if self.draft is not None:
            asked.update({name: self.draft for name in self.draft.names})
            for name in sorted(self.draft.names):
                target = "code" if name == self.draft.code else "__all__"
                if name in conditions.KEYWORDS:
                    error(target, _("„%(code)s“ ist ein Schlüsselwort der Bedingungssprache und kann kein Code "
                                    "sein.") % {"code": name})
                other = others.get(name)
                if other is not None:
                    error(target, _("Der Code „%(code)s“ ist in dieser Befragung schon vergeben (Frage "
                                    "%(other)s).") % {"code": name, "other": other.code})
        for owner in self.owners:
            for problem in check_condition(
                f"page {owner.page}" if owner.question is None else owner.question, owner.page, owner.question,
                owner.expr, self._context(owner, asked), "on an earlier page" if owner.question is None
                else "before this question",
            ):
                own = (problem.question == self.own_question if self.own_question
                       else problem.question is None and problem.page == self.own_page)
                if own:
                    error("condition", problem.message())
                    continue
                where = (_("Frage %(code)s") % {"code": problem.question} if problem.question
                         else _("Seite %(code)s") % {"code": problem.page})
                messages.append(_("Die Änderung würde die Bedingung „%(expr)s“ von %(where)s ungültig machen: "
                                  "%(why)s") % {"expr": problem.expr, "where": where, "why": problem.message()})
        if field_errors or messages:
            raise EditRefused(messages, field_errors)

    @staticmethod
    def _context(owner: _Owner, asked: dict[str, _Asked]) -> ConditionContext:
        """What definition.condition_problems knows at `owner`, restricted to the names it uses."""
        ctx = ConditionContext({}, {}, set())
        for name in owner.references():
            a = asked.get(name)
            if a is None:
                continue  # unknown: the parser says so
            if name in a.variables:
                ctx.kinds[name] = a.variables[name]
                if a.key < owner.key:
                    ctx.before.add(name)
            elif a.type == "matrix" and name == a.code:
                ctx.kinds[name] = "matrix"
            if a.type == "matrix" and a.variables.get(name) == "row":
                ctx.option_codes[name] = a.option_codes
            elif a.type in CHOICE_TYPES and name == a.code:
                ctx.option_codes[name] = a.option_codes
        return ctx


def _answered(question: Question) -> bool:
    return Question.objects.filter(pk=question.pk, answers__isnull=False).exists()


def _locked(survey: Survey) -> Survey:
    """The survey row locked for this transaction: two editors' changes are applied one after the other."""
    return Survey.objects.select_for_update().defer("definition").get(pk=survey.pk)


def _fresh(obj: Any) -> Any:
    """`obj` read again under the survey's lock: another editor may have changed or deleted it meanwhile."""
    if obj is None:
        return None
    model = type(obj)
    query = model.objects.select_related("page") if model is Question else model.objects
    try:
        return query.get(pk=obj.pk)
    except model.DoesNotExist:
        raise EditRefused([_("Das wurde inzwischen von jemand anderem gelöscht. Bitte laden Sie die Seite neu.")])


# --- pages -------------------------------------------------------------------------------------


PAGE_FIELDS = ("code", "title", "title_en", "intro", "intro_en", "condition")


def save_page(survey: Survey, page: Page | None, values: dict[str, Any], user: User | None) -> Page:
    """Create (page None: appended at the end) or change a page; EditRefused when not possible."""
    with transaction.atomic():
        survey = _locked(survey)
        page = _fresh(page)
        before = page_dict(page) if page is not None else {}
        if page is not None and values["code"] != page.code and survey.responses.exists():
            raise EditRefused([], {"code": [_("Der Seitencode kann nicht mehr geändert werden, weil es schon "
                                              "Antworten zu dieser Befragung gibt.")]})
        target = page or Page(survey=survey, position=survey.pages.count() + 1)
        for name in PAGE_FIELDS:
            setattr(target, name, values.get(name, ""))
        if survey.pages.filter(code=target.code).exclude(pk=target.pk).exists():
            raise EditRefused([], {"code": [_("Eine andere Seite hat bereits den Code „%(code)s“.")
                                            % {"code": target.code}]})
        # A page's code is named by no condition: only its own condition can break.
        check = _Check(survey, own_page=target.code)
        if target.condition:
            check.owners.append(_Owner(target.code, None, target.condition, (target.position, 0)))
        check.run()
        target.save()
        new = page_dict(target)
        SurveyChange.record(survey, user, f"Seite {target.code}", before, new)
        mark_edited(survey)
    return target


def _move(survey: Survey, obj: Page | Question, step: int, user: User | None) -> None:
    """Swap a page with its neighbour, or a question with its neighbour on the same page (step -1: up,
    +1: down); nothing happens at either end. Only the conditions of the two change their order relative to
    each other's questions: those on the two pages (a page move) or of the two questions."""
    with transaction.atomic():
        survey = _locked(survey)
        obj = _fresh(obj)
        model = type(obj)
        siblings = model.objects.filter(survey=survey) if model is Page else model.objects.filter(page=obj.page_id)
        neighbour = (siblings.filter(position__lt=obj.position).order_by("-position") if step < 0
                     else siblings.filter(position__gt=obj.position).order_by("position")).first()
        if neighbour is None:
            return
        check = _Check(survey)
        positions = {obj.pk: neighbour.position, neighbour.pk: obj.position}
        if model is Page:
            check.page_positions = positions
            check.add_page_owners(Page.objects.filter(pk__in=positions))
            check.add_question_owners(Question.objects.filter(page__in=positions))
        else:
            check.question_positions = positions
            check.add_question_owners(Question.objects.filter(pk__in=positions))
        check.run()
        before, after = obj.position, neighbour.position
        obj.position, neighbour.position = after, before
        model.objects.bulk_update([obj, neighbour], ["position"])
        SurveyChange.record(survey, user, f"{'Seite' if model is Page else 'Frage'} {obj.code}",
                            {"position": before}, {"position": after})
        mark_edited(survey)


def move_page(survey: Survey, page: Page, step: int, user: User | None) -> None:
    _move(survey, page, step, user)


def delete_page(survey: Survey, page: Page, user: User | None) -> None:
    """Delete a page with its questions, unless one of them has answers or a later condition needs them."""
    with transaction.atomic():
        survey = _locked(survey)
        page = _fresh(page)
        answered = [q.code for q in page.questions.filter(answers__isnull=False).distinct()]
        if answered:
            raise EditRefused([_("Die Seite kann nicht gelöscht werden, weil diese Fragen bereits Antworten haben: "
                                 "%(codes)s.") % {"codes": ", ".join(answered)}])
        defs = [(pk, qdef) for _page, pk, qdef in question_defs(Question.objects.filter(page=page))]
        before = {**page_dict(page), "questions": [qdef for _pk, qdef in defs]}
        check = _Check(survey, removed={pk for pk, _qdef in defs})
        check.add_dependents({name for _pk, qdef in defs for name in _Asked.of(qdef, (0, 0)).names})
        check.owners = [owner for owner in check.owners if owner.page != page.code]
        check.run()
        page.delete()
        Page.objects.filter(survey=survey, position__gt=page.position).update(position=F("position") - 1)
        SurveyChange.record(survey, user, f"Seite {page.code}", before, {})
        mark_edited(survey)


# --- questions ---------------------------------------------------------------------------------


def _structure(qdef: dict[str, Any]) -> tuple[Any, ...]:
    """What conditions may depend on: codes, type, option codes, variables (wording and labels may change)."""
    return (qdef["code"], qdef["type"], sorted(o["code"] for o in qdef.get("options", [])),
            sorted(question_variables(qdef)))


def save_question(survey: Survey, page: Page, question: Question | None, qdef: dict[str, Any],
                  user: User | None) -> Question:
    """Create (appended to `page`) or change a question from its definition dict (options and rows included).

    A question may move to another page (`page` differs from its own): it is appended there."""
    with transaction.atomic():
        survey = _locked(survey)
        page, question = _fresh(page), _fresh(question)
        qdef = canonical_question(qdef)
        before: dict[str, Any] = {}
        if question is not None:
            before = question_definition(question)
            if _answered(question):
                _refuse_answered_change(question, qdef)
        stays = question is not None and question.page_id == page.pk
        position = question.position if stays else (
            max(page.questions.values_list("position", flat=True), default=0) + 1)
        check = _Check(survey, own_question=qdef["code"], draft=_Asked.of(qdef, (page.position, position)),
                       draft_pk=question.pk if question is not None else None)
        if qdef.get("show_if"):
            check.owners.append(_Owner(page.code, qdef["code"], qdef["show_if"], (page.position, position)))
        if question is not None and (not stays or _structure(before) != _structure(qdef)):
            check.add_dependents(_Asked.of(before, (0, 0)).names)
        check.run()
        question = _store_question(survey, page, question, qdef)
        SurveyChange.record(survey, user, f"Frage {qdef['code']}", before, qdef)
        mark_edited(survey)
    return question


def _refuse_answered_change(question: Question, qdef: dict[str, Any]) -> None:
    if qdef["code"] != question.code:
        raise EditRefused([], {"code": [_("Der Code %(code)s kann nicht mehr geändert werden, weil die Frage "
                                          "bereits Antworten hat.") % {"code": question.code}]})
    reasons = question_refusals(question, qdef)
    if reasons:
        raise EditRefused([_("Diese Frage hat bereits Antworten. Wortlaut und Beschriftungen dürfen sich ändern, "
                             "Codes, Typ, Optionen und Zeilen nicht:")] + [r.message() for r in reasons])


def _store_question(survey: Survey, page: Page, question: Question | None, qdef: dict[str, Any]) -> Question:
    if question is None or question.page_id != page.pk:
        if question is not None:  # leaves its page: the questions after it move up
            Question.objects.filter(page_id=question.page_id, position__gt=question.position).update(
                position=F("position") - 1)
        question = question or Question(survey=survey)
        question.page = page
        question.position = (max(page.questions.values_list("position", flat=True), default=0)) + 1
    question.code = qdef["code"]
    question.type = qdef["type"]
    question.text = qdef["text"]
    question.text_en = qdef.get("text_en", "")
    question.help_text = qdef.get("help", "")
    question.help_text_en = qdef.get("help_en", "")
    question.required = qdef.get("required", False)
    question.condition = qdef.get("show_if", "")
    question.min_value, question.max_value = qdef.get("min"), qdef.get("max")
    question.max_length = qdef.get("max_length")
    question.save()
    _replace_items(question, Option, [
        dict(code=o["code"], label=o["label"], label_en=o.get("label_en", ""), exclusive=o.get("exclusive", False),
             has_text=o.get("other_text", False)) for o in qdef.get("options", [])])
    _replace_items(question, Row, [dict(code=r["code"], label=r["label"], label_en=r.get("label_en", ""))
                                   for r in qdef.get("rows", [])])
    return question


def _replace_items(question: Question, model: type[Option] | type[Row], items: list[dict[str, Any]]) -> None:
    """Options or rows in the given order, matched by code so kept ones keep their ids; constant queries."""
    existing = {item.code: item for item in model.objects.filter(question=question)}
    keep = [item["code"] for item in items]
    model.objects.filter(question=question).exclude(code__in=keep).delete()
    new, changed = [], []
    for position, values in enumerate(items, start=1):
        obj = existing.get(values["code"])
        if obj is None:
            new.append(model(question=question, position=position, **values))
            continue
        fields = [name for name, value in {**values, "position": position}.items() if getattr(obj, name) != value]
        for name in fields:
            setattr(obj, name, values.get(name, position))
        if fields:
            changed.append(obj)
    if changed:
        model.objects.bulk_update(changed, ["label", "label_en", "position"] +
                                  (["exclusive", "has_text"] if model is Option else []))
    if new:
        model.objects.bulk_create(new)


def move_question(survey: Survey, question: Question, step: int, user: User | None) -> None:
    _move(survey, question, step, user)


def delete_question(survey: Survey, question: Question, user: User | None) -> None:
    with transaction.atomic():
        survey = _locked(survey)
        question = _fresh(question)
        if _answered(question):
            raise EditRefused([r.message() for r in question_refusals(question, None)])
        before = question_definition(question)
        check = _Check(survey, removed={question.pk})
        check.add_dependents(_Asked.of(before, (0, 0)).names)
        check.run()
        page_id, position = question.page_id, question.position
        question.delete()
        Question.objects.filter(page_id=page_id, position__gt=position).update(position=F("position") - 1)
        SurveyChange.record(survey, user, f"Frage {before['code']}", before, {})
        mark_edited(survey)


# --- live checks (the editor's JavaScript asks while a code or condition is typed) ---------------


def _messages(check: _Check) -> list[str]:
    try:
        check.run()
    except EditRefused as refused:
        return [m for ms in refused.field_errors.values() for m in ms] + refused.messages
    return []


def code_messages(survey: Survey, name: str, question: Question | None) -> list[str]:
    """What saving `question` (None: a new one) with the question or row code `name` would say about it."""
    return _messages(_Check(survey, draft=_Asked(name, "text", (0, 0), set(), {name: "text"}),
                            draft_pk=question.pk if question is not None else None))


def condition_messages(survey: Survey, expr: str, page: Page | None, question: Question | None,
                       of_question: bool) -> list[str]:
    """What saving the condition `expr` would say about it (the position in the expression included): of a
    page (`page`; None: a new one, appended) or of a question (`question` on `page`; a new one comes last)."""
    if not expr.strip():
        return []
    if not of_question:
        position = page.position if page is not None else survey.pages.count() + 1
        check = _Check(survey, own_page=page.code if page is not None else "")
        check.owners.append(_Owner(check.own_page or "", None, expr.strip(), (position, 0)))
        return _messages(check)
    if question is not None and question.page_id == page.pk:
        key = (page.position, question.position)
    else:
        key = (page.position, max(page.questions.values_list("position", flat=True), default=0) + 1)
    code = question.code if question is not None else ""
    check = _Check(survey, own_question=code or "?")
    check.owners.append(_Owner(page.code, code or "?", expr.strip(), key))
    return _messages(check)
