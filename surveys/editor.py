"""The questionnaire editor's changes: one function per change, each checked, logged and in one transaction.

Every change works on the tables and then refreshes Survey.definition/definition_hash from them
(`refresh_definition`), so that
- the structure cache (surveys/structure.py, keyed by definition_hash) of every process sees the edit
  on its next request, and
- `load_survey` still recognises a file equal to the edited survey as "unchanged", and a file that
  differs as a change (which it checks against the answers as always).

The rules once answers exist are those of `load_survey` (`definition.question_refusals`); the
condition checks are those of a definition file (`definition.condition_problems`), run on the whole
questionnaire as it would be after the change, so a change that breaks another question's condition
(an option code it names, an order it relies on) is refused too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from . import conditions
from .definition import condition_problems, definition_hash, question_refusals, question_variables
from .models import Option, Page, Question, Row, Survey, SurveyChange


class EditRefused(Exception):
    """The change was not saved; `messages` say why (German), `field_errors` map form fields to messages."""

    def __init__(self, messages: list[str], field_errors: dict[str, list[str]] | None = None) -> None:
        self.messages = messages
        self.field_errors = field_errors or {}
        super().__init__("; ".join(messages))


# --- the definition as it stands in the tables -------------------------------------------------


def _non_empty(**values: Any) -> dict[str, Any]:
    """Keys with their defaults ("" / False / None) left out, as a hand-written definition leaves them out."""
    return {key: value for key, value in values.items() if not (value is None or value is False or value == "")}


def page_dict(page: Page) -> dict[str, Any]:
    return {"code": page.code, "title": page.title,
            **_non_empty(title_en=page.title_en, intro=page.intro, intro_en=page.intro_en, show_if=page.condition)}


def _survey_keys(survey: Survey) -> dict[str, Any]:
    """The survey-level keys of a definition, from the Survey row."""
    period = _non_empty(opens=survey.opens_on and survey.opens_on.isoformat(),
                        closes=survey.closes_on and survey.closes_on.isoformat())
    data: dict[str, Any] = {"slug": survey.slug, "title": survey.title,
                            **_non_empty(intro=survey.intro, organisers=survey.organisers,
                                         contact_email=survey.contact_email)}
    if period:
        data["field_period"] = period
    return data


def definition_from_tables(survey: Survey) -> dict[str, Any]:
    """The survey as a definition dict (the shape of surveys/schema.json), in four queries whatever its size."""
    data = _survey_keys(survey)
    options: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for qid, code, label, label_en, exclusive, has_text in (
        Option.objects.filter(question__survey=survey).order_by("question_id", "position")
        .values_list("question_id", "code", "label", "label_en", "exclusive", "has_text")
    ):
        options[qid].append({"code": code, "label": label,
                             **_non_empty(label_en=label_en, exclusive=exclusive, other_text=has_text)})
    rows: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for qid, code, label, label_en in (
        Row.objects.filter(question__survey=survey).order_by("question_id", "position")
        .values_list("question_id", "code", "label", "label_en")
    ):
        rows[qid].append({"code": code, "label": label, **_non_empty(label_en=label_en)})
    questions: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for q in Question.objects.filter(survey=survey).order_by("page_id", "position").values(
        "id", "page_id", "code", "type", "text", "text_en", "help_text", "help_text_en", "required", "condition",
        "min_value", "max_value", "max_length",
    ):
        qdef = {"code": q["code"], "type": q["type"], "text": q["text"],
                **_non_empty(text_en=q["text_en"], help=q["help_text"], help_en=q["help_text_en"],
                             required=q["required"], show_if=q["condition"])}
        if q["id"] in options:
            qdef["options"] = options[q["id"]]
        if q["id"] in rows:
            qdef["rows"] = rows[q["id"]]
        for key, value in (("min", q["min_value"]), ("max", q["max_value"]), ("max_length", q["max_length"])):
            if value is not None:
                qdef[key] = value
        questions[q["page_id"]].append(qdef)
    data["pages"] = [{**page_dict(page), "questions": questions[page.pk]}
                     for page in survey.pages.order_by("position")]
    return data


def refresh_definition(survey: Survey, data: dict[str, Any] | None = None) -> None:
    """Store the definition (`data`: the one just checked, which the tables now hold; default: read from the
    tables) and its hash on the survey. Call after every change of the tables or of the survey's texts."""
    survey.definition = {**_survey_keys(survey), "pages": (data or definition_from_tables(survey))["pages"]}
    survey.definition_hash = definition_hash(survey.definition)
    survey.save(update_fields=["definition", "definition_hash", "updated_at"])


def current_definition(survey: Survey) -> dict[str, Any]:
    """A working copy of the survey's definition. Survey.definition mirrors the tables (load_survey and the
    editor are their only writers; the admin is read-only), which saves reading 1,000 questions per edit;
    a survey that never had one (created empty) is read from the tables. `survey` must be a fresh instance
    (`_locked`): the copy is its own, changed in place."""
    if "pages" not in survey.definition:
        return definition_from_tables(survey)
    return {**_survey_keys(survey), "pages": survey.definition["pages"]}


def canonical_question(qdef: dict[str, Any]) -> dict[str, Any]:
    """`qdef` with empty and default values left out, as definition_from_tables writes it."""
    keep = {"code", "type", "text", "label", "options", "rows"}

    def wanted(key: str, value: Any) -> bool:  # 0 is a value (a minimum), False and "" are defaults
        return key in keep or not (value is None or value is False or value == "")

    out = {k: v for k, v in qdef.items() if wanted(k, v)}
    for key in ("options", "rows"):
        if key in qdef:
            out[key] = [{k: v for k, v in item.items() if wanted(k, v)} for item in qdef[key]]
    return out


# --- checks ------------------------------------------------------------------------------------


@dataclass
class _Draft:
    """The definition after a change, with where the changed page/question sits in it."""

    data: dict[str, Any]
    page_code: str | None = None
    question_code: str | None = None


def _check(draft: _Draft) -> None:
    """Refuse a draft whose codes collide or whose conditions (anywhere) no longer hold."""
    owner: dict[str, str] = {}
    field_errors: dict[str, list[str]] = defaultdict(list)
    messages: list[str] = []
    page_codes: set[str] = set()
    for page in draft.data["pages"]:
        if page["code"] in page_codes:
            field_errors["code"].append(_("Eine andere Seite hat bereits den Code „%(code)s“.")
                                        % {"code": page["code"]})
        page_codes.add(page["code"])
        for qdef in page["questions"]:
            names = {qdef["code"]: "question", **question_variables(qdef)}
            mine = qdef["code"] == draft.question_code
            for name in names:
                if name in conditions.KEYWORDS:
                    field_errors["code" if name == qdef["code"] else "__all__"].append(
                        _("„%(code)s“ ist ein Schlüsselwort der Bedingungssprache und kann kein Code sein.")
                        % {"code": name})
                other = owner.get(name)
                if other is not None:
                    text = _("Der Code „%(code)s“ ist in dieser Befragung schon vergeben (Frage %(other)s).") % {
                        "code": name, "other": other}
                    if mine or other == draft.question_code:
                        field_errors["code" if name == qdef["code"] else "__all__"].append(text)
                    else:
                        messages.append(text)
                else:
                    owner[name] = qdef["code"]
    for problem in condition_problems(draft.data):
        own = (problem.question == draft.question_code if draft.question_code
               else problem.question is None and problem.page == draft.page_code)
        if own:
            field_errors["condition"].append(problem.message())
        else:
            where = (_("Frage %(code)s") % {"code": problem.question} if problem.question
                     else _("Seite %(code)s") % {"code": problem.page})
            messages.append(_("Die Änderung würde die Bedingung „%(expr)s“ von %(where)s ungültig machen: %(why)s")
                            % {"expr": problem.expr, "where": where, "why": problem.message()})
    if field_errors or messages:
        raise EditRefused(messages, dict(field_errors))


def _answered(question: Question) -> bool:
    return Question.objects.filter(pk=question.pk, answers__isnull=False).exists()


def _locked(survey: Survey) -> Survey:
    """The survey row locked for this transaction: two editors' changes are applied one after the other."""
    return Survey.objects.select_for_update().get(pk=survey.pk)


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


def _find_page(data: dict[str, Any], code: str) -> dict[str, Any]:
    return next(p for p in data["pages"] if p["code"] == code)


# --- pages -------------------------------------------------------------------------------------


PAGE_FIELDS = ("code", "title", "title_en", "intro", "intro_en", "condition")


def save_page(survey: Survey, page: Page | None, values: dict[str, Any], user: User | None) -> Page:
    """Create (page None: appended at the end) or change a page; EditRefused when not possible."""
    with transaction.atomic():
        survey = _locked(survey)
        page = _fresh(page)
        data = current_definition(survey)
        before = page_dict(page) if page is not None else {}
        if page is not None and values["code"] != page.code and survey.responses.exists():
            raise EditRefused([], {"code": [_("Der Seitencode kann nicht mehr geändert werden, weil es schon "
                                              "Antworten zu dieser Befragung gibt.")]})
        old_code = page.code if page is not None else None
        target = page or Page(survey=survey, position=survey.pages.count() + 1)
        for name in PAGE_FIELDS:
            setattr(target, name, values.get(name, ""))
        new = page_dict(target)
        if page is None:
            data["pages"].append({**new, "questions": []})
        else:
            old = _find_page(data, old_code)
            questions = old["questions"]
            old.clear()
            old.update({**new, "questions": questions})
        _check(_Draft(data, page_code=target.code))
        target.save()
        SurveyChange.record(survey, user, f"Seite {target.code}", before, new)
        refresh_definition(survey, data)
    return target


def _swap(survey: Survey, user: User | None, rows: list, pk: int, step: int, listed: Callable[[dict], list],
          label: str) -> None:
    """Swap the row `pk` of `rows` (in position order) with its neighbour `step` away, in the tables and
    in the stored definition (`listed(data)`: the same items there); nothing happens at either end."""
    index = next(i for i, row in enumerate(rows) if row.pk == pk)
    other = index + step
    if not 0 <= other < len(rows):
        return
    data = current_definition(survey)
    items = listed(data)
    items[index], items[other] = items[other], items[index]
    _check(_Draft(data))
    a, b = rows[index], rows[other]
    a.position, b.position = b.position, a.position
    type(a).objects.bulk_update([a, b], ["position"])
    SurveyChange.record(survey, user, f"{label} {a.code}", {"position": index + 1}, {"position": other + 1})
    refresh_definition(survey, data)


def move_page(survey: Survey, page: Page, step: int, user: User | None) -> None:
    """Swap a page with its neighbour (step -1: up, +1: down); nothing happens at either end."""
    with transaction.atomic():
        survey = _locked(survey)
        page = _fresh(page)
        _swap(survey, user, list(survey.pages.order_by("position")), page.pk, step, lambda d: d["pages"], "Seite")


def delete_page(survey: Survey, page: Page, user: User | None) -> None:
    """Delete a page with its questions, unless one of them has answers or a later condition needs them."""
    with transaction.atomic():
        survey = _locked(survey)
        page = _fresh(page)
        answered = [q.code for q in page.questions.filter(answers__isnull=False).distinct()]
        if answered:
            raise EditRefused([_("Die Seite kann nicht gelöscht werden, weil diese Fragen bereits Antworten haben: "
                                 "%(codes)s.") % {"codes": ", ".join(answered)}])
        data = current_definition(survey)
        before = _find_page(data, page.code)
        data["pages"].remove(before)
        _check(_Draft(data))
        page.delete()
        for position, other in enumerate(survey.pages.order_by("position"), start=1):
            if other.position != position:
                Page.objects.filter(pk=other.pk).update(position=position)
        SurveyChange.record(survey, user, f"Seite {page.code}", before, {})
        refresh_definition(survey, data)


# --- questions ---------------------------------------------------------------------------------


def save_question(survey: Survey, page: Page, question: Question | None, qdef: dict[str, Any],
                  user: User | None) -> Question:
    """Create (appended to `page`) or change a question from its definition dict (options and rows included).

    A question may move to another page (`page` differs from its own): it is appended there."""
    with transaction.atomic():
        survey = _locked(survey)
        page, question = _fresh(page), _fresh(question)
        data = current_definition(survey)
        qdef = canonical_question(qdef)
        before: dict[str, Any] = {}
        if question is not None:
            old_page = _find_page(data, question.page.code)
            before = next(q for q in old_page["questions"] if q["code"] == question.code)
            if _answered(question):
                _refuse_answered_change(question, qdef)
            if question.page_id == page.pk:
                old_page["questions"][old_page["questions"].index(before)] = qdef
            else:
                old_page["questions"].remove(before)
                _find_page(data, page.code)["questions"].append(qdef)
        else:
            _find_page(data, page.code)["questions"].append(qdef)
        _check(_Draft(data, question_code=qdef["code"]))
        question = _store_question(survey, page, question, qdef)
        SurveyChange.record(survey, user, f"Frage {qdef['code']}", before, qdef)
        refresh_definition(survey, data)
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
        old_page_id = question.page_id if question is not None else None
        question = question or Question(survey=survey)
        question.page = page
        question.position = (max(page.questions.values_list("position", flat=True), default=0)) + 1
        if old_page_id is not None:
            _compact_questions(old_page_id, exclude=question.pk)
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


def _compact_questions(page_id: int, exclude: int | None = None) -> None:
    questions = Question.objects.filter(page_id=page_id).exclude(pk=exclude).order_by("position")
    changed = []
    for position, question in enumerate(questions, start=1):
        if question.position != position:
            question.position = position
            changed.append(question)
    Question.objects.bulk_update(changed, ["position"])


def move_question(survey: Survey, question: Question, step: int, user: User | None) -> None:
    """Swap a question with its neighbour on the same page (step -1: up, +1: down)."""
    with transaction.atomic():
        survey = _locked(survey)
        question = _fresh(question)
        _swap(survey, user, list(question.page.questions.order_by("position")), question.pk, step,
              lambda d: _find_page(d, question.page.code)["questions"], "Frage")


def delete_question(survey: Survey, question: Question, user: User | None) -> None:
    with transaction.atomic():
        survey = _locked(survey)
        question = _fresh(question)
        if _answered(question):
            raise EditRefused([r.message() for r in question_refusals(question, None)])
        data = current_definition(survey)
        listed = _find_page(data, question.page.code)["questions"]
        before = next(q for q in listed if q["code"] == question.code)
        listed.remove(before)
        _check(_Draft(data))
        page_id = question.page_id
        question.delete()
        _compact_questions(page_id)
        SurveyChange.record(survey, user, f"Frage {before['code']}", before, {})
        refresh_definition(survey, data)
