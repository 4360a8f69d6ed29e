"""The editor checks only what a change can affect; its verdict must still be that of checking everything.

Every change below is tried on the KGSt questionnaire through surveys/editor/services.py and, independently,
applied to the downloaded definition, which `validate_definition` (the check of load_survey, on the whole
questionnaire) accepts or refuses. The two must agree, and an accepted change must leave the tables
holding exactly that definition.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import transaction

from surveys.definition.canonical import canonical
from surveys.definition.export import export_definition
from surveys.definition.validate import validate_definition
from surveys.definition_errors import DefinitionError
from surveys.editor import services
from surveys.editor.checks import EditRefused
from surveys.models import Page, Question, Survey

pytestmark = pytest.mark.django_db


class _Undo(Exception):
    pass


def _valid(data: dict[str, Any]) -> bool:
    data = copy.deepcopy(data)
    for i, page in enumerate(data["pages"]):  # the editor allows an empty page (one is, when it is new)
        page["questions"] = page["questions"] or [{"code": f"Leer{i}", "type": "text", "text": "Platzhalter"}]
    try:
        validate_definition(canonical(data))
    except DefinitionError:
        return False
    return True


def _where(data: dict[str, Any], code: str) -> tuple[list[dict[str, Any]], int]:
    for page in data["pages"]:
        for index, qdef in enumerate(page["questions"]):
            if qdef["code"] == code:
                return page["questions"], index
    raise KeyError(code)


Change = tuple[str, Callable[[Survey], None], Callable[[dict[str, Any]], None]]


def _question_changes(data: dict[str, Any]) -> Iterator[Change]:
    """(name, the change through the editor, the same change on the definition)."""
    codes = [q["code"] for p in data["pages"] for q in p["questions"]]
    for code in codes:
        listed, index = _where(data, code)
        original = listed[index]

        def save(new: dict[str, Any], code: str = code) -> Callable[[Survey], None]:
            def run(survey: Survey) -> None:
                question = Question.objects.get(survey=survey, code=code)
                services.save_question(survey, question.page, question, new, None)
            return run

        def replace(new: dict[str, Any], code: str = code) -> Callable[[dict[str, Any]], None]:
            def run(d: dict[str, Any]) -> None:
                questions, i = _where(d, code)
                questions[i] = new
            return run

        for step in (-1, 1):
            def move(survey: Survey, code: str = code, step: int = step) -> None:
                services.move_question(survey, Question.objects.get(survey=survey, code=code), step, None)

            def swap(d: dict[str, Any], code: str = code, step: int = step) -> None:
                questions, i = _where(d, code)
                if 0 <= i + step < len(questions):
                    questions[i], questions[i + step] = questions[i + step], questions[i]
            yield f"move {code} {step}", move, swap

        def delete(survey: Survey, code: str = code) -> None:
            services.delete_question(survey, Question.objects.get(survey=survey, code=code), None)

        def remove(d: dict[str, Any], code: str = code) -> None:
            questions, i = _where(d, code)
            del questions[i]
        yield f"delete {code}", delete, remove

        renamed = copy.deepcopy(original) | {"code": f"{code}_neu"}
        yield f"rename {code}", save(renamed), replace(renamed)
        for other in (codes[0], codes[-1]):
            if other != code:
                clash = copy.deepcopy(original) | {"code": other}
                yield f"rename {code} to {other}", save(clash), replace(clash)
        # what the question form sends for a text question: no options, rows or number limits
        as_text = {k: v for k, v in original.items() if k not in ("options", "rows", "min", "max")} | {"type": "text"}
        yield f"{code} as text", save(as_text), replace(as_text)
        for i, option in enumerate(original.get("options", [])):
            fewer = copy.deepcopy(original)
            del fewer["options"][i]
            if fewer["options"]:
                yield f"{code} without option {option['code']}", save(fewer), replace(fewer)
        for i, row in enumerate(original.get("rows", [])[:2]):
            fewer = copy.deepcopy(original)
            del fewer["rows"][i]
            yield f"{code} without row {row['code']}", save(fewer), replace(fewer)
        later = codes[-1]
        conditioned = copy.deepcopy(original) | {"show_if": f"answered {later}"}
        yield f"{code} on a later question", save(conditioned), replace(conditioned)

        def to_last_page(survey: Survey, code: str = code, new: dict[str, Any] = original) -> None:
            question = Question.objects.get(survey=survey, code=code)
            services.save_question(survey, survey.pages.order_by("position").last(), question, new, None)

        def append_last(d: dict[str, Any], code: str = code, new: dict[str, Any] = original) -> None:
            questions, i = _where(d, code)
            if questions is not d["pages"][-1]["questions"]:  # on its own page a question keeps its place
                del questions[i]
                d["pages"][-1]["questions"].append(new)
        yield f"{code} to the last page", to_last_page, append_last


def _page_changes(data: dict[str, Any]) -> Iterator[Change]:
    for index, pdef in enumerate(data["pages"]):
        code = pdef["code"]
        for step in (-1, 1):
            def move(survey: Survey, code: str = code, step: int = step) -> None:
                services.move_page(survey, Page.objects.get(survey=survey, code=code), step, None)

            def swap(d: dict[str, Any], index: int = index, step: int = step) -> None:
                if 0 <= index + step < len(d["pages"]):
                    d["pages"][index], d["pages"][index + step] = d["pages"][index + step], d["pages"][index]
            yield f"move page {code} {step}", move, swap

        def delete(survey: Survey, code: str = code) -> None:
            services.delete_page(survey, Page.objects.get(survey=survey, code=code), None)

        def remove(d: dict[str, Any], index: int = index) -> None:
            del d["pages"][index]
        yield f"delete page {code}", delete, remove
        first = data["pages"][-1]["questions"][0]["code"]

        def condition(survey: Survey, code: str = code, first: str = first) -> None:
            page = Page.objects.get(survey=survey, code=code)
            values = {name: getattr(page, name) for name in services.PAGE_FIELDS} | {"condition": f"answered {first}"}
            services.save_page(survey, page, values, None)

        def set_condition(d: dict[str, Any], index: int = index, first: str = first) -> None:
            d["pages"][index]["show_if"] = f"answered {first}"
        yield f"page {code} on the last page's question", condition, set_condition


def test_the_verdict_is_that_of_the_whole_questionnaire(kgst_survey):
    start = export_definition(kgst_survey)
    tried = refused = 0
    for name, change, expected in [*_question_changes(start), *_page_changes(start)]:
        data = copy.deepcopy(start)
        expected(data)
        should_pass = _valid(data)
        try:
            with transaction.atomic():
                try:
                    change(Survey.objects.get(pk=kgst_survey.pk))
                except EditRefused:
                    assert not should_pass, f"{name}: refused, but the whole questionnaire would be valid"
                    refused += 1
                else:
                    assert should_pass, f"{name}: accepted, but the whole questionnaire would be invalid"
                    assert export_definition(Survey.objects.get(pk=kgst_survey.pk)) == canonical(data), name
                raise _Undo
        except _Undo:
            pass
        tried += 1
    assert export_definition(kgst_survey) == start
    assert tried > 200 and 40 < refused < tried - 40  # both verdicts are well represented
