"""The respondent's path as plain functions: open, save a page, submit, and read answers back.

Concurrency: every write happens in one transaction that first locks the Response row
(`SELECT … FOR UPDATE`). Each page has a version in `Response.page_versions`; the form carries
the version it was rendered with (`_version`). A save from an older version is refused as a
conflict — unless it would store exactly what is already stored — so a colleague's answers
are never silently overwritten. Saves that change nothing do not bump the version.

Query budget per page save: lock the response, read its answers, delete the page's old rows,
insert the new ones (one bulk insert), record the save in the response's history, update the
response — six statements, whatever the number of questions; their SQL is built once per process
in `queries.py` (the hot path of every respondent request). The survey structure comes from
`get_structure`'s in-memory cache.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import get_language

from invitations.models import Invitation
from responses.models import Answer, Response, ResponseEvent
from responses.signals import announce_change
from surveys.forms import Answers, PageForm, answers_to_data, display_value
from surveys.progress import page_progress
from surveys.structure import SurveyStructure, get_structure

from . import queries

REVIEW = "_review"  # Response.current_page once the respondent reached the review page

WEITER, ZURUECK, SPEICHERN = "weiter", "zurueck", "speichern"
ACTIONS = (WEITER, ZURUECK, SPEICHERN)


# -- reading ------------------------------------------------------------------------------


def answers_from_rows(structure: SurveyStructure, rows: list[tuple[str, str]]) -> Answers:
    """(variable, value) rows → the answers mapping; multiple choice becomes a list in option order."""
    multi = structure.option_order
    answers: Answers = {}
    for variable, value in rows:
        if variable in multi:
            answers.setdefault(variable, []).append(value)  # type: ignore[union-attr]
        else:
            answers[variable] = value
    for code, order in multi.items():
        if code in answers:
            answers[code] = sorted(answers[code], key=lambda c: order.get(c, len(order)))
    return answers


def load_answers(response: Response, structure: SurveyStructure) -> Answers:
    """All stored answers of a response, in one query (none for an unsaved one)."""
    if response.pk is None:
        return {}
    return answers_from_rows(structure, queries.answer_rows(response.pk))


def rows_for(page: Any, answers: Mapping[str, Any]) -> list[tuple[int, str, str]]:
    """(question_id, variable, value) rows for one page's answers (a multiple choice gets one row
    per chosen option)."""
    rows: list[tuple[int, str, str]] = []
    for q in page.questions:
        for variable in q.variables:
            value = answers.get(variable)
            for item in value if isinstance(value, list) else [value]:
                if item not in (None, ""):
                    rows.append((q.id, variable, str(item)))
    return rows


def page_answers(page: Any, answers: Mapping[str, Any]) -> Answers:
    names = {name for q in page.questions for name in q.variables}
    return {k: v for k, v in answers.items() if k in names}


# -- navigation ---------------------------------------------------------------------------


def resume_target(structure: SurveyStructure, response: Response, answers: Mapping[str, Any]) -> str:
    """Where the respondent continues: a page code, or REVIEW."""
    visible = structure.visible_pages(answers)
    if not visible:
        return REVIEW
    current = response.current_page
    if current == REVIEW:
        return REVIEW
    codes = [p.code for p in visible]
    if current in codes:
        return current
    try:
        position = structure.page(current).position
    except KeyError:
        return codes[0]
    later = [p.code for p in visible if p.position > position]
    return later[0] if later else REVIEW


def progress(structure: SurveyStructure, page: Any, answers: Mapping[str, Any]) -> tuple[int, int]:
    """("Seite n von m"): n among the pages shown, m counting the pages that can still come
    (surveys.progress explains why m never grows on the way forward)."""
    return page_progress(structure, page, answers)


# -- opening ------------------------------------------------------------------------------


def existing_response(invitation: Invitation) -> Response:
    """The invitation's Response, or an unsaved blank one: for requests that must write nothing."""
    try:
        return invitation.response
    except Response.DoesNotExist:
        return Response(invitation=invitation, survey_id=invitation.survey_id)


def open_response(invitation: Invitation) -> Response:
    """The invitation's Response, created on the first open (safe against concurrent first opens)."""
    try:
        return invitation.response
    except Response.DoesNotExist:
        pass
    try:
        with transaction.atomic():
            Invitation.objects.select_for_update().only("pk").get(pk=invitation.pk)
            response, created = Response.objects.get_or_create(
                invitation=invitation, defaults={"survey_id": invitation.survey_id}
            )
            if created:
                queries.insert_event(response.pk, ResponseEvent.Kind.OPENED, response.started_at)
    except IntegrityError:  # another request created it between our read and the insert
        response = Response.objects.get(invitation=invitation)
    invitation.response = response
    return response


# -- saving a page ------------------------------------------------------------------------


@dataclass
class SaveResult:
    """Outcome of a page save; `status` is one of the constants below."""

    SAVED, INVALID, CONFLICT, SUBMITTED, HIDDEN = "saved", "invalid", "conflict", "submitted", "hidden"

    status: str
    form: PageForm | None = None
    target: str = ""  # page code or REVIEW to go to (status saved)
    answers: Answers = field(default_factory=dict)  # the response's answers after the save
    version: int = 0
    lost_input: list[tuple[str, list[str]]] = field(default_factory=list)  # (question, values) not saved


def parse_version(raw: Any) -> int:
    try:
        return max(0, int(str(raw).strip()))
    except (TypeError, ValueError):
        return 0


def save_page(invitation: Invitation, page_code: str, data: Mapping[str, Any], action: str) -> SaveResult:
    """Validate and store one page in one transaction; decide where the respondent goes next.

    "weiter" enforces required answers; "zurueck" and "speichern" do not. Invalid values are
    never stored (the question keeps its previous answer) and come back as field errors.
    """
    structure = get_structure(invitation.survey, get_language())
    page = structure.page(page_code)
    posted_version = parse_version(data.get("_version"))
    with transaction.atomic():
        response = queries.lock_response(invitation.pk)
        if response.is_submitted:
            return SaveResult(SaveResult.SUBMITTED)
        answers = load_answers(response, structure)
        if not structure.is_page_shown(page, answers):
            return SaveResult(SaveResult.HIDDEN, answers=answers)
        version = int(response.page_versions.get(page.code, 0))
        form = PageForm(structure, page, answers, data, enforce_required=action == WEITER)
        form.is_valid()
        old = page_answers(page, answers)
        new = dict(form.page_answers)
        for code in form.invalid_questions:  # rejected input: keep what was stored before
            for name in structure.question(code).variables:
                if name in old:
                    new[name] = old[name]
        if posted_version != version and new != old:
            fresh = PageForm(structure, page, answers)
            return SaveResult(SaveResult.CONFLICT, form=fresh, answers=answers, version=version,
                              lost_input=_describe(page, form.page_answers, old))
        after = {k: v for k, v in answers.items() if k not in old}
        after.update(new)
        if new != old:
            if old:
                queries.delete_answers(response.pk, [q.id for q in page.questions])
            queries.insert_answers(response.pk, rows_for(page, new))
            queries.insert_event(response.pk, ResponseEvent.Kind.SAVED, timezone.now(), page.code)
            version += 1
            response.page_versions = {**response.page_versions, page.code: version}
            announce_change(invitation.survey_id)
        target = page.code if form.question_errors else _target(structure, page, after, action)
        if new != old or response.current_page != target:
            response.current_page = target
            queries.save_fields(response, ["page_versions", "current_page", "updated_at"])
    if form.question_errors:
        form.context = after
        return SaveResult(SaveResult.INVALID, form=form, answers=after, version=version)
    return SaveResult(SaveResult.SAVED, target=target, answers=after, version=version)


def _target(structure: SurveyStructure, page: Any, answers: Mapping[str, Any], action: str) -> str:
    if action == WEITER:
        following = structure.next_page(page.code, answers)
        return following.code if following else REVIEW
    if action == ZURUECK:
        before = structure.previous_page(page.code, answers)
        return before.code if before else page.code
    return page.code


def _describe(page: Any, mine: Mapping[str, Any], current: Mapping[str, Any]) -> list[tuple[str, list[str]]]:
    """The respondent's input that differs from what is stored, as (question, answer lines)."""
    lines = []
    for q in page.questions:
        names = q.variables
        if any(mine.get(n) != current.get(n) for n in names):
            lines.append((q.text, display_value(q, mine) or ["—"]))
    return lines


# -- review and submission ----------------------------------------------------------------


@dataclass
class ReviewQuestion:
    question: Any
    lines: list[str]
    missing: bool


@dataclass
class ReviewPage:
    page: Any
    questions: list[ReviewQuestion]
    has_missing: bool


def review(structure: SurveyStructure, answers: Mapping[str, Any]) -> list[ReviewPage]:
    """Every page and question the respondent is shown, with the answers as labels."""
    effective = structure.effective_answers(answers)
    shown = {q.code for q in structure.shown_questions(answers)}
    pages = []
    for page in structure.visible_pages(answers):
        items = []
        for q in page.questions:
            if q.code not in shown:
                continue
            lines = display_value(q, effective)
            complete = all(effective.get(r.code) for r in q.rows) if q.type == "matrix" else bool(lines)
            items.append(ReviewQuestion(q, lines, q.required and not complete))
        pages.append(ReviewPage(page, items, any(item.missing for item in items)))
    return pages


@dataclass
class SubmitResult:
    SUBMITTED, ALREADY, INCOMPLETE = "submitted", "already", "incomplete"

    status: str  # one of the constants above
    page_code: str = ""


def first_incomplete_page(structure: SurveyStructure, answers: Mapping[str, Any]) -> str:
    """The first shown page whose stored answers fail validation with required answers enforced."""
    for page in structure.visible_pages(answers):
        form = PageForm(structure, page, answers, answers_to_data(page_answers(page, answers)))
        if not form.is_valid():
            return page.code
    return ""


def submit(invitation: Invitation) -> SubmitResult:
    """Submit the response: check required answers, drop answers of hidden questions, lock it."""
    structure = get_structure(invitation.survey, get_language())
    with transaction.atomic():
        response = Response.objects.select_for_update().get(invitation_id=invitation.pk)
        if response.is_submitted:
            return SubmitResult(SubmitResult.ALREADY)
        answers = load_answers(response, structure)
        missing = first_incomplete_page(structure, answers)
        if missing:
            response.current_page = missing
            response.save(update_fields=["current_page", "updated_at"])
            return SubmitResult(SubmitResult.INCOMPLETE, missing)
        keep = set(structure.effective_answers(answers))
        dropped = [name for name in answers if name not in keep]
        if dropped:
            Answer.objects.filter(response_id=response.pk, variable__in=dropped).delete()
        response.status = Response.Status.SUBMITTED
        response.submitted_at = timezone.now()
        response.current_page = REVIEW
        response.save(update_fields=["status", "submitted_at", "current_page", "updated_at"])
        announce_change(invitation.survey_id)
        queries.insert_event(response.pk, ResponseEvent.Kind.SUBMITTED, response.submitted_at)
    return SubmitResult(SubmitResult.SUBMITTED)
