"""A single response as staff read it: its answers in questionnaire order and its history.

The history comes from ResponseEvent rows. Responses from before events were recorded have
none; for them the steps that the Response row itself still tells (started, last saved,
submitted) are shown, marked as derived, so an old response never shows an empty history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from responses.models import Response, ResponseEvent
from responses.respondent import services
from surveys.forms import display_value
from surveys.structure import get_structure


@dataclass
class HistoryEntry:
    at: datetime
    kind: str
    label: str
    page: str = ""  # "P3 – Interne Nutzung" for a saved page
    by: str = ""  # the staff user for staff actions
    reason: str = ""
    derived: bool = False  # reconstructed from the response row, not recorded as an event


STEP_ORDER = {ResponseEvent.Kind.OPENED: -1, ResponseEvent.Kind.SAVED: 1, ResponseEvent.Kind.SUBMITTED: 2}


def history(response: Response) -> list[HistoryEntry]:
    """Every recorded step, oldest first, plus what can be derived for steps recorded before events existed."""
    structure = get_structure(response.survey, get_language())
    labels = dict(ResponseEvent.Kind.choices)

    def page_label(code: str) -> str:
        if not code:
            return ""
        try:
            return f"{code} – {structure.page(code).title}"
        except KeyError:  # a page removed from the questionnaire since
            return code

    events = list(response.events.select_related("by"))
    entries = [HistoryEntry(e.at, e.kind, str(labels.get(e.kind, e.kind)), page_label(e.page_code),
                            e.by.get_username() if e.by else "", e.reason) for e in events]
    kinds = {e.kind for e in events}
    if ResponseEvent.Kind.OPENED not in kinds:
        entries.append(HistoryEntry(response.started_at, ResponseEvent.Kind.OPENED,
                                    str(labels[ResponseEvent.Kind.OPENED]), derived=True))
    if not events and response.page_versions:
        entries.append(HistoryEntry(response.updated_at, ResponseEvent.Kind.SAVED, _("Zuletzt gespeichert"),
                                    derived=True))
    if response.submitted_at and ResponseEvent.Kind.SUBMITTED not in kinds:
        entries.append(HistoryEntry(response.submitted_at, ResponseEvent.Kind.SUBMITTED,
                                    str(labels[ResponseEvent.Kind.SUBMITTED]), derived=True))
    # Python's sort is stable: recorded events keep their order; a derived step that shares its time
    # stamp with another (a row written in one go) goes where it belongs in the flow.
    entries.sort(key=lambda e: (e.at, STEP_ORDER.get(e.kind, 9) if e.derived else 0))
    return entries


@dataclass
class StoredAnswer:
    """An answer kept for a question the respondent is not shown (only in an unsubmitted response:
    submitting drops them); it does not count in any result."""

    code: str
    text: str
    lines: list[str]


def answers_view(response: Response) -> tuple[list[services.ReviewPage], list[StoredAnswer]]:
    """(the pages the respondent is shown with every question and its answer as labels, answers of
    questions not shown). The review page's own builder, so staff read what the respondent saw."""
    structure = get_structure(response.survey, get_language())
    answers = services.load_answers(response, structure)
    shown = {q.code for q in structure.shown_questions(answers)}
    hidden: list[StoredAnswer] = []
    for question in structure.questions:
        if question.code in shown:
            continue
        lines = display_value(question, answers)
        if lines:
            hidden.append(StoredAnswer(question.code, question.text, lines))
    pages = [page for page in services.review(structure, answers) if page.questions]  # no empty headings
    return pages, hidden


def answered_count(pages: list[Any]) -> int:
    return sum(1 for page in pages for item in page.questions if item.lines)
