"""Loading a validated definition into the Survey, Page, Question, Option and Row tables, in one
transaction and in place by code (ids stay stable), refusing what would change answered variables; and
the survey's version (the definition's hash, or a new token after each edit in the editor)."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction

from surveys.definition_errors import DefinitionError, DefinitionRefused
from surveys.models import Option, Page, Question, Row, Survey

from .canonical import SURVEY_TEXTS, canonical
from .export import export_definition
from .read import read_definition
from .refusals import answered_refusals
from .validate import validate_definition


@dataclass(frozen=True)
class LoadResult:
    """What a load did to the survey, and the line `load_survey` prints for it."""

    survey: Survey
    action: str  # "created" | "updated" | "unchanged"

    def summary(self) -> str:
        pages = len(self.survey.definition.get("pages", []))
        questions = sum(len(p["questions"]) for p in self.survey.definition.get("pages", []))
        if self.action == "unchanged":
            return f"{self.survey.slug}: unchanged"
        return f"{self.survey.slug}: {self.action} ({pages} pages, {questions} questions)"


def definition_hash(data: dict[str, Any]) -> str:
    """The sha256 of a validated definition, whatever the order of its keys (Survey.definition_hash)."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


EDIT_MARK = Survey.EDIT_MARK


def mark_edited(survey: Survey) -> None:
    """After a change in the editor: a new version token instead of the definition's hash, and no stored copy.

    Hashing and storing the whole definition (half a megabyte at 1,000 questions) on every edit made a save
    cost what the survey's size costs. The token still changes with every edit (the structure cache of every
    process is keyed by it), and `is_unchanged` compares a file with the tables only when someone loads one."""
    survey.new_version()
    survey.save(update_fields=["definition", "definition_hash", "updated_at"])


def is_unchanged(survey: Survey, data: dict[str, Any]) -> bool:
    """Whether loading the validated definition `data` would change nothing: the file loaded last time (its
    hash), or, after edits in the editor, a file equal to what the tables now hold."""
    if survey.definition_hash == definition_hash(data):
        return True
    return survey.definition_hash.startswith(EDIT_MARK) and canonical(data) == export_definition(survey)


def load_definition_file(path: str | Path) -> LoadResult:
    """The file at `path` read, validated and loaded (what `load_survey` does)."""
    return sync_survey(validate_definition(read_definition(path)))


def existing_survey_refusals(data: dict[str, Any]) -> tuple[Survey | None, list[str]]:
    """For a validated definition: the survey it would update (None: it would create one) and the lines
    saying why `sync_survey` would refuse it. Writes nothing; the upload report shows this."""
    survey = Survey.objects.filter(slug=data["slug"]).first()
    if survey is None:
        return None, []
    return survey, answered_refusals(survey, data)


def sync_survey(data: dict[str, Any]) -> LoadResult:
    """Create or update the survey described by a validated definition, in one transaction."""
    digest = definition_hash(data)
    with transaction.atomic():
        survey = Survey.objects.select_for_update().filter(slug=data["slug"]).first()
        if survey is not None and is_unchanged(survey, data):
            return LoadResult(survey, "unchanged")
        action = "created" if survey is None else "updated"
        if survey is not None:
            refusals = answered_refusals(survey, data)
            if refusals:
                raise DefinitionRefused(
                    [f"{survey.slug}: refused, variables that already have answers would change:"]
                    + [f"  {line}" for line in refusals]
                    + ["Nothing was changed. Wording and labels may change; codes, types, options and rows "
                       "of answered questions may not."]
                )
        try:
            with transaction.atomic():
                survey = _save_survey(survey, data, digest)
                _save_pages(survey, data)
        except IntegrityError:
            raise DefinitionError(f"{data['slug']}: another load of this survey ran at the same time; "
                                  "nothing was changed, please run the command again")
    return LoadResult(survey, action)


def _save_survey(survey: Survey | None, data: dict[str, Any], digest: str) -> Survey:
    period = data.get("field_period", {})
    emails = data.get("emails", {})
    fields = dict(
        title=data["title"],
        **{name: data.get(name, "") for name in SURVEY_TEXTS},
        estimated_minutes=data.get("estimated_minutes"),
        invitation_subject=emails.get("invitation", {}).get("subject", ""),
        invitation_body=emails.get("invitation", {}).get("body", ""),
        reminder_subject=emails.get("reminder", {}).get("subject", ""),
        reminder_body=emails.get("reminder", {}).get("body", ""),
        opens_on=datetime.date.fromisoformat(period["opens"]) if period.get("opens") else None,
        closes_on=datetime.date.fromisoformat(period["closes"]) if period.get("closes") else None,
        definition=data,
        definition_hash=digest,
    )
    if survey is None:
        return Survey.objects.create(slug=data["slug"], **fields)
    for name, value in fields.items():  # status is never touched by a reload
        setattr(survey, name, value)
    survey.save()
    return survey


def _save_pages(survey: Survey, data: dict[str, Any]) -> None:
    """Write pages, questions, options and rows: new ones in one INSERT per table, changed ones saved
    one by one (only what changed), removed ones deleted — a constant number of queries plus the changes."""
    pages = {p.code: p for p in survey.pages.all()}
    questions = {q.code: q for q in survey.questions.all()}
    options: dict[int, dict[str, Option]] = defaultdict(dict)
    for option in Option.objects.filter(question__survey=survey):
        options[option.question_id][option.code] = option
    rows: dict[int, dict[str, Row]] = defaultdict(dict)
    for row in Row.objects.filter(question__survey=survey):
        rows[row.question_id][row.code] = row

    new_pages: list[Page] = []
    placed: list[tuple[Page, dict[str, Any]]] = []
    for p_pos, pdef in enumerate(data["pages"], start=1):
        page = pages.pop(pdef["code"], None) or Page(survey=survey, code=pdef["code"])
        _assign(page, new_pages, position=p_pos, title=pdef["title"], title_en=pdef.get("title_en", ""),
                intro=pdef.get("intro", ""), intro_en=pdef.get("intro_en", ""), condition=pdef.get("show_if", ""))
        placed.append((page, pdef))
    Page.objects.bulk_create(new_pages)

    new_questions: list[Question] = []
    asked: list[tuple[Question, dict[str, Any]]] = []
    for page, pdef in placed:
        for q_pos, qdef in enumerate(pdef["questions"], start=1):
            question = questions.pop(qdef["code"], None) or Question(survey=survey, code=qdef["code"])
            _assign(question, new_questions, page_id=page.pk, position=q_pos, type=qdef["type"], text=qdef["text"],
                    text_en=qdef.get("text_en", ""), help_text=qdef.get("help", ""),
                    help_text_en=qdef.get("help_en", ""), required=qdef.get("required", False),
                    condition=qdef.get("show_if", ""), min_value=qdef.get("min"), max_value=qdef.get("max"),
                    max_length=qdef.get("max_length"))
            asked.append((question, qdef))
    Question.objects.bulk_create(new_questions)

    new_options: list[Option] = []
    new_rows: list[Row] = []
    for question, qdef in asked:
        existing_options = options.pop(question.pk, {})
        for pos, odef in enumerate(qdef.get("options", []), start=1):
            option = existing_options.pop(odef["code"], None) or Option(question=question, code=odef["code"])
            _assign(option, new_options, label=odef["label"], label_en=odef.get("label_en", ""), position=pos,
                    exclusive=odef.get("exclusive", False), has_text=odef.get("other_text", False))
        options[question.pk] = existing_options  # what is left is removed below
        existing_rows = rows.pop(question.pk, {})
        for pos, rdef in enumerate(qdef.get("rows", []), start=1):
            row = existing_rows.pop(rdef["code"], None) or Row(question=question, code=rdef["code"])
            _assign(row, new_rows, label=rdef["label"], label_en=rdef.get("label_en", ""), position=pos)
        rows[question.pk] = existing_rows
    # answered_refusals has made sure that nothing removed here has answers.
    removed_options = [o.pk for left in options.values() for o in left.values()]
    removed_rows = [r.pk for left in rows.values() for r in left.values()]
    if removed_options:
        Option.objects.filter(pk__in=removed_options).delete()
    if removed_rows:
        Row.objects.filter(pk__in=removed_rows).delete()
    Option.objects.bulk_create(new_options)
    Row.objects.bulk_create(new_rows)
    if questions:
        Question.objects.filter(pk__in=[q.pk for q in questions.values()]).delete()
    if pages:
        Page.objects.filter(pk__in=[p.pk for p in pages.values()]).delete()


def _assign(obj: Any, new: list[Any], **values: Any) -> None:
    """Set fields; a new object waits in `new` for one bulk INSERT, an existing one is saved only if changed."""
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    for name in changed:
        setattr(obj, name, values[name])
    if obj.pk is None:
        new.append(obj)
    elif changed:
        obj.save(update_fields=changed)
