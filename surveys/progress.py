""""Seite n von m" that does not jump when an answer adds pages.

Counting only the pages shown *now* made the total grow under the respondent's feet: the KGSt
survey said "Seite 2 von 5" before B1_nutzung was answered and "Seite 3 von 8" after "Ja".
Instead m counts the pages that can still come: the pages already behind the respondent that
were shown, this page, and every later page whose condition is not yet decided against it.

A later page's condition is *decided* once every variable it depends on belongs to a page
before the current one (conditions refer only to earlier questions, so those answers are
settled as far as this walk goes); an undecided page counts as still to come. Walking forward,
n grows by one per page and m never grows: a page only leaves the count when its condition is
decided false, and a decided page never comes back without going back and changing an earlier
answer. So the percentage n/m only grows on the way through.
"""

from __future__ import annotations

from . import conditions
from .structure import Answers, PageDef, SurveyStructure

_known: dict[tuple[int, str], dict[str, int]] = {}


def _dependencies(structure: SurveyStructure) -> dict[str, int]:
    """Page code → position of the latest page its visibility depends on, remembered per definition."""
    key = (structure.survey_id, structure.definition_hash)
    found = _known.get(key)
    if found is None:
        if len(_known) > 64:
            _known.clear()
        found = _known[key] = _compute_dependencies(structure)
    return found


def _compute_dependencies(structure: SurveyStructure) -> dict[str, int]:
    """Page code → position of the latest page its visibility depends on (0 = unconditional).

    A page depends on the variables of its own condition and, through effective answers, on the
    conditions of the questions that produce them (which are earlier still), so the latest
    position among the condition's variables is what decides when it is settled.
    """
    positions = {p.code: p.position for p in structure.pages}
    latest: dict[str, int] = {}
    for page in structure.pages:
        deepest = 0
        for variable in conditions.variables(page.condition_node):
            question = structure.question_for_variable(variable)
            if question is not None:
                deepest = max(deepest, positions[question.page_code])
        latest[page.code] = deepest
    return latest


def page_progress(structure: SurveyStructure, page: PageDef, answers: Answers) -> tuple[int, int]:
    """(n, m) for "Seite n von m" on `page` with the respondent's current answers."""
    visible = structure.visible_pages(answers)
    shown_codes = {p.code for p in visible}
    number = sum(1 for p in visible if p.position < page.position) + 1
    depends = _dependencies(structure)
    later = sum(
        1 for p in structure.pages
        if p.position > page.position and (p.code in shown_codes or depends[p.code] >= page.position)
    )
    return number, number + later
