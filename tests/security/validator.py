"""`assert_answers_allowed(response)`: what is stored must be what the definition allows.

Built only from the survey structure (surveys.structure), independently of the form code:
- every Answer belongs to a question of the response's survey and uses one of that question's
  variables (question code, matrix row code, `<code>_<option>_text` of an option with text);
- single / matrix row: one row, an option code; multiple choice: option codes, no duplicates, an
  exclusive option alone; "other" text only when its option is chosen, ≤ 500 characters;
- number: a canonical whole number within min/max; text/textarea: ≤ max_length, no NUL, no
  surrounding blanks; e-mail: a valid address; date: YYYY-MM-DD;
- conditions: answers of a question whose condition depends only on its own page hold for the
  stored answers; after submission every stored answer belongs to a shown question.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from responses.models import Answer, Response
from surveys import conditions
from surveys.forms import DEFAULT_MAX_LENGTH, OTHER_TEXT_MAX_LENGTH
from surveys.structure import get_structure


def _variables(q) -> dict[str, str]:
    """variable → kind (value, row, other)."""
    names = {row.code: "row" for row in q.rows} if q.type == "matrix" else {q.code: "value"}
    for option in q.options:
        if option.has_text:
            names[option.text_variable] = "other"
    return names


def _check_text(value: str, limit: int, where: str) -> None:
    assert "\x00" not in value, f"{where}: NUL byte stored"
    assert len(value) <= limit, f"{where}: {len(value)} characters > {limit}"
    assert value == value.strip() and value, f"{where}: untrimmed or empty text {value[:40]!r}"


def _check_value(q, variable: str, kind: str, values: list[str], stored: dict[str, list[str]]) -> None:
    where = f"{q.code}/{variable}"
    codes = [o.code for o in q.options]
    if kind == "other":
        assert len(values) == 1, f"{where}: several values {values}"
        option = next(o for o in q.options if o.text_variable == variable)
        assert option.code in stored.get(q.code, []), f"{where}: text without its option chosen"
        _check_text(values[0], OTHER_TEXT_MAX_LENGTH, where)
        return
    if q.type == "multi":
        assert len(values) == len(set(values)), f"{where}: duplicate options {values}"
        assert all(v in codes for v in values), f"{where}: unknown option in {values}"
        exclusive = [o.code for o in q.options if o.exclusive]
        if any(v in exclusive for v in values):
            assert len(values) == 1, f"{where}: exclusive option combined {values}"
        return
    assert len(values) == 1, f"{where}: several values {values}"
    value = values[0]
    if q.type in ("single", "matrix"):
        assert value in codes, f"{where}: unknown option {value!r}"
    elif q.type == "number":
        assert value == str(int(value)), f"{where}: not a canonical whole number {value!r}"
        if q.min_value is not None:
            assert int(value) >= q.min_value, f"{where}: {value} < min"
        if q.max_value is not None:
            assert int(value) <= q.max_value, f"{where}: {value} > max"
    elif q.type == "date":
        assert dt.date.fromisoformat(value).isoformat() == value, f"{where}: bad date {value!r}"
    elif q.type == "email":
        _check_text(value, q.max_length or DEFAULT_MAX_LENGTH["email"], where)
        try:
            validate_email(value)
        except ValidationError:
            raise AssertionError(f"{where}: invalid e-mail {value!r}") from None
    else:
        _check_text(value, q.max_length or DEFAULT_MAX_LENGTH.get(q.type, 500), where)


def answers_mapping(structure, stored: dict[str, list[str]]) -> dict:
    multi = {q.code for q in structure.questions if q.type == "multi"}
    return {k: (list(v) if k in multi else v[0]) for k, v in stored.items()}


def assert_answers_allowed(response: Response) -> None:
    response.refresh_from_db()
    structure = get_structure(response.survey)
    by_code = {q.code: q for q in structure.questions}
    rows = list(Answer.objects.filter(response=response).select_related("question"))
    stored: dict[str, list[str]] = defaultdict(list)
    owner: dict[str, str] = {}
    for answer in rows:
        q = by_code.get(answer.question.code)
        assert q is not None and answer.question.survey_id == response.survey_id, f"foreign question {answer}"
        kinds = _variables(q)
        assert answer.variable in kinds, f"{q.code}: variable {answer.variable!r} not allowed"
        assert owner.setdefault(answer.variable, q.code) == q.code
        stored[answer.variable].append(answer.value)
    for variable, values in stored.items():
        q = by_code[owner[variable]]
        _check_value(q, variable, _variables(q)[variable], values, stored)
    answers = answers_mapping(structure, stored)
    page_vars = {p.code: {n for q in p.questions for n in _variables(q)} for p in structure.pages}
    if response.is_submitted:
        hidden = set(stored) - set(structure.effective_answers(answers))
        assert not hidden, f"answers of hidden questions submitted: {sorted(hidden)}"
    for variable in stored:
        q = by_code[owner[variable]]
        if q.condition and set(conditions.variables(q.condition)) <= page_vars[q.page_code]:
            assert conditions.evaluate(q.condition, answers), f"{q.code}: stored although its condition is false"
