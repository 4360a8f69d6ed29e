"""Staff preview of a questionnaire: the respondent's pages with answers kept in the session.

Why the session: a preview must never create or change a Response (before, staff opening a
draft through a member's link stored their test answers under that invitation). The answers
mapping has the same shape as a Response's (surveys.forms.Answers), so the page form, its
validation, the visibility of pages and questions, the progress and the review are the very
functions the respondent's pages use — only the storage differs: a dict in the staff user's
session per survey, discarded when the definition changes (its hash is kept with it).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

from django.contrib.sessions.backends.base import SessionBase

from responses.respondent import services
from surveys.forms import Answers, PageForm
from surveys.structure import SurveyStructure

SESSION_KEY = "survey_preview"


def _store(session: SessionBase) -> dict[str, Any]:
    store = session.get(SESSION_KEY)
    return store if isinstance(store, dict) else {}


def load(session: SessionBase, structure: SurveyStructure) -> tuple[Answers, str]:
    """(answers, current page) of this staff user's preview of the survey."""
    entry = _store(session).get(str(structure.survey_id))
    if not isinstance(entry, dict) or entry.get("hash") != structure.definition_hash:
        return {}, ""
    answers = entry.get("answers")
    return (dict(answers) if isinstance(answers, dict) else {}), str(entry.get("current", ""))


def save(session: SessionBase, structure: SurveyStructure, answers: Mapping[str, Any], current: str) -> None:
    store = _store(session)
    store[str(structure.survey_id)] = {"hash": structure.definition_hash, "answers": dict(answers),
                                       "current": current}
    session[SESSION_KEY] = store


def reset(session: SessionBase, survey_id: int) -> None:
    store = _store(session)
    if store.pop(str(survey_id), None) is not None:
        session[SESSION_KEY] = store


def resume_target(structure: SurveyStructure, answers: Answers, current: str) -> str:
    """Where the preview continues: the respondent's rule applied to the preview's current page."""
    return services.resume_target(structure, SimpleNamespace(current_page=current), answers)  # type: ignore[arg-type]


def save_page(structure: SurveyStructure, page: Any, answers: Answers, data: Mapping[str, Any],
              action: str) -> services.SaveResult:
    """services.save_page without the database: validate with the respondent's PageForm and
    return the new answers mapping (the caller puts it into the session)."""
    if not structure.is_page_shown(page, answers):
        return services.SaveResult("hidden", answers=dict(answers))
    form = PageForm(structure, page, answers, data, enforce_required=action == services.WEITER)
    form.is_valid()
    old = services.page_answers(page, answers)
    new = dict(form.page_answers)
    for code in form.invalid_questions:  # rejected input: keep the previous answer, as the respondent's save does
        for name in structure.question(code).variables:
            if name in old:
                new[name] = old[name]
    after = {k: v for k, v in answers.items() if k not in old}
    after.update(new)
    if form.question_errors:
        form.context = after
        return services.SaveResult("invalid", form=form, answers=after)
    # the same navigation rule as the respondent's save
    return services.SaveResult("saved", target=services._target(structure, page, after, action), answers=after)
