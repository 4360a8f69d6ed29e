"""Validating a definition: normalised, then the JSON schema, then the rules a schema cannot express."""

from __future__ import annotations

import datetime
import json
import re
from typing import Any

from django.utils.translation import gettext_lazy as _

from surveys import conditions
from surveys.definition_errors import XLSFORM_MARK, DefinitionError, Message

from .canonical import CHOICE_TYPES, question_variables
from .condition_checks import condition_errors
from .schema import schema_errors

MAX_REPORTED_ERRORS = 30


def _normalise(data: dict[str, Any]) -> dict[str, Any]:
    """YAML conveniences → the JSON form the schema describes: dates as ISO strings, numeric option codes
    as strings. Works on a deep copy; leaves anything unexpected for the schema to report."""
    _check_size(data)
    data = json.loads(json.dumps(data, default=_json_default))
    for page in _dicts(data.get("pages")):
        for question in _dicts(page.get("questions")):
            for opt in _dicts(question.get("options")):
                if isinstance(opt.get("code"), int) and not isinstance(opt["code"], bool):
                    opt["code"] = str(opt["code"])
    return data


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _check_size(data: Any, budget: int = 200_000) -> None:
    """Refuse documents that expand to huge trees (YAML aliases, "billion laughs") before copying them."""
    stack, seen = [data], 0
    while stack:
        item = stack.pop()
        seen += 1
        if seen > budget:
            raise ValueError(f"the definition is too large (more than {budget} values)")
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _json_default(value: Any) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    raise TypeError(f"unsupported value {value!r}")


def validate_definition(data: dict[str, Any]) -> dict[str, Any]:
    """Return the normalised definition or raise DefinitionError listing every problem.

    A definition read from an XLSForm workbook carries the workbook row of each page and question
    (XLSFORM_MARK); its problems then name the sheet and row instead of the JSON path."""
    rows = data.get(XLSFORM_MARK)
    if rows is not None:
        data = {key: value for key, value in data.items() if key != XLSFORM_MARK}
    try:
        data = _normalise(data)
    except (TypeError, ValueError) as exc:
        raise DefinitionError(Message(f"unsupported value in definition: {exc}",
                                      _("Die Definition enthält einen Wert, der nicht unterstützt wird: %(problem)s"),
                                      problem=str(exc)))
    errors: list[str] = list(schema_errors(data))
    if not errors:
        errors = _semantic_errors(data)
    if errors:
        raise DefinitionError([_locate(error, rows) for error in errors[:MAX_REPORTED_ERRORS]])
    return data


_PATH_RE = re.compile(r"^pages\[(\d+)\](?:\.questions\[(\d+)\])?")


_OWNER_RE = re.compile(r"^(page )?([A-Za-z][A-Za-z0-9_]*): condition")


def _locate(error: str, rows: dict[str, str] | None) -> str:
    """Prefix an error about pages[i].questions[j] with its place in the workbook it came from."""
    if not rows:
        return error
    match = _PATH_RE.match(error)
    if match is None:
        owner = _OWNER_RE.match(error)
        if owner and (where := rows.get(f"{'page' if owner.group(1) else 'question'}:{owner.group(2)}")):
            return _at(error, where)
        return _at(error, rows.get("", "settings sheet"))
    where = rows.get(match.group(0)) or rows.get(f"pages[{match.group(1)}]")
    return _at(error, where) if where else error


_SHEET_PLACE_RE = re.compile(r"^sheet '(\w+)', row (\d+)$")


def _at(error: str, where: str) -> str:
    """`where: error`; for a translated message the workbook place in German too (xlsform writes them so)."""
    if not isinstance(error, Message):
        return f"{where}: {error}"
    place = _SHEET_PLACE_RE.match(where)
    german_place = (_("Tabellenblatt „%(sheet)s“, Zeile %(row)s") % {"sheet": place.group(1), "row": place.group(2)}
                    if place else where)
    return Message(f"{where}: {error}", _("%(where)s: %(problem)s"), where=german_place, problem=error)


def _question_place(p_index: int, q_index: int, code: str) -> Message:
    return Message(f"pages[{p_index}].questions[{q_index}] ({code})",
                   _("Seite %(page)s, Frage %(question)s (%(code)s)"), page=p_index + 1, question=q_index + 1,
                   code=code)


def _semantic_errors(data: dict[str, Any]) -> list[str]:
    errors: list[str] = []
    page_codes: set[str] = set()
    variable_owner: dict[str, str] = {}  # variable → question code that produces it
    for p_index, page in enumerate(data["pages"]):
        if page["code"] in page_codes:
            errors.append(Message(f"duplicate page code {page['code']!r}", _("Der Seitencode „%(code)s“ kommt "
                                                                            "zweimal vor."), code=page["code"])
                          .at(f"pages[{p_index}].code", _("Seite %(code)s") % {"code": p_index + 1}))
        page_codes.add(page["code"])
        for q_index, question in enumerate(page["questions"]):
            where = _question_place(p_index, q_index, question["code"])
            errors.extend(_question_errors(question, where))
            names = {question["code"]: question["type"], **question_variables(question)}
            for name in names:
                if name in conditions.KEYWORDS:
                    errors.append(Message(f"{name!r} is a reserved word of the condition language",
                                          _("„%(name)s“ ist ein Schlüsselwort der Bedingungssprache und kann kein "
                                            "Code sein."), name=name).at(where, where))
                if name in variable_owner:
                    errors.append(Message(f"duplicate code {name!r} (already used by {variable_owner[name]})",
                                          _("Der Code „%(name)s“ ist schon vergeben (Frage %(other)s)."),
                                          name=name, other=variable_owner[name]).at(where, where))
                else:
                    variable_owner[name] = question["code"]
    if errors:
        return errors
    return condition_errors(data)


def _question_errors(q: dict[str, Any], where: Message) -> list[str]:
    errors: list[Message] = []
    qtype = q["type"]
    options, rows = q.get("options"), q.get("rows")

    def add(english: str, german: Any, **params: Any) -> None:
        errors.append(Message(english, german, **params).at(where, where))

    if qtype in CHOICE_TYPES and not options:
        add(f"a {qtype} question needs options", _("Eine Frage vom Typ %(type)s braucht Antwortoptionen."),
            type=qtype)
    if qtype not in CHOICE_TYPES and options is not None:
        add(f"a {qtype} question does not take options",
            _("Eine Frage vom Typ %(type)s hat keine Antwortoptionen."), type=qtype)
    if qtype == "matrix" and not rows:
        add("a matrix question needs rows", _("Eine Matrixfrage braucht Zeilen."))
    if qtype != "matrix" and rows is not None:
        add("only matrix questions take rows", _("Nur Matrixfragen haben Zeilen."))
    if qtype != "number" and ("min" in q or "max" in q):
        add("min/max are only allowed on number questions",
            _("Kleinster und größter Wert (min/max) gibt es nur bei Zahlenfragen."))
    if "min" in q and "max" in q and q["min"] > q["max"]:
        add(f"min ({q['min']}) is greater than max ({q['max']})",
            _("Der kleinste Wert (%(min)s) ist größer als der größte (%(max)s)."), min=q["min"], max=q["max"])
    if qtype not in ("text", "textarea") and "max_length" in q:
        add("max_length is only allowed on text and textarea questions",
            _("Eine Höchstzahl der Zeichen (max_length) gibt es nur bei Textfragen."))
    for label, items in (("option", options or []), ("row", rows or [])):
        seen: set[str] = set()
        for item in items:
            if item["code"] in seen:
                add(f"duplicate {label} code {item['code']!r}",
                    _("Der Optionscode „%(code)s“ kommt in dieser Frage zweimal vor.") if label == "option" else
                    _("Der Zeilencode „%(code)s“ kommt in dieser Frage zweimal vor."), code=item["code"])
            seen.add(item["code"])
    for opt in options or []:
        if opt.get("exclusive") and qtype != "multi":
            add(f"option {opt['code']!r} is exclusive, but only multi questions take exclusive options",
                _("Die Option „%(code)s“ ist exklusiv, aber nur Mehrfachauswahlfragen haben exklusive Optionen."),
                code=opt["code"])
        if opt.get("other_text") and qtype not in ("single", "multi"):
            add(f"option {opt['code']!r} has other_text, but only single and multi questions take it",
                _("Die Option „%(code)s“ hat ein Freitextfeld, das gibt es nur bei Einfach- und Mehrfachauswahl."),
                code=opt["code"])
    return errors
