"""The questionnaire editor's changes: one function per change, each checked (checks.py), recorded in the
change log and made in one transaction under the survey's row lock.

Afterwards `mark_edited` (surveys/definition/sync.py) gives the survey a new version token instead of
rehashing and storing the whole definition: the structure cache (surveys/structure.py) of every process is
keyed by it, and `load_survey` compares a file with the tables when one is loaded (`is_unchanged`).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from surveys.definition.canonical import canonical_question, question_variables
from surveys.definition.export import question_definition, question_defs
from surveys.definition.refusals import question_refusals
from surveys.definition.sync import mark_edited
from surveys.models import Option, Page, Question, Row, Survey, SurveyChange

from .checks import Asked, Check, EditRefused, Owner


def _non_empty(**values: Any) -> dict[str, Any]:
    """Keys with their defaults ("" / False / None) left out, as a hand-written definition leaves them out."""
    return {key: value for key, value in values.items() if not (value is None or value is False or value == "")}


def page_dict(page: Page) -> dict[str, Any]:
    return {"code": page.code, "title": page.title,
            **_non_empty(title_en=page.title_en, intro=page.intro, intro_en=page.intro_en, show_if=page.condition)}


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
        check = Check(survey, own_page=target.code)
        if target.condition:
            check.owners.append(Owner(target.code, None, target.condition, (target.position, 0)))
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
        check = Check(survey)
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
        check = Check(survey, removed={pk for pk, _qdef in defs})
        check.add_dependents({name for _pk, qdef in defs for name in Asked.of(qdef, (0, 0)).names})
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
        check = Check(survey, own_question=qdef["code"], draft=Asked.of(qdef, (page.position, position)),
                       draft_pk=question.pk if question is not None else None)
        if qdef.get("show_if"):
            check.owners.append(Owner(page.code, qdef["code"], qdef["show_if"], (page.position, position)))
        if question is not None and (not stays or _structure(before) != _structure(qdef)):
            check.add_dependents(Asked.of(before, (0, 0)).names)
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
        check = Check(survey, removed={question.pk})
        check.add_dependents(Asked.of(before, (0, 0)).names)
        check.run()
        page_id, position = question.page_id, question.position
        question.delete()
        Question.objects.filter(page_id=page_id, position__gt=position).update(position=F("position") - 1)
        SurveyChange.record(survey, user, f"Frage {before['code']}", before, {})
        mark_edited(survey)
