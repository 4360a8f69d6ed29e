"""Survey definition files: read, validate, and load them into the Survey tables.

A definition (YAML or JSON; format in surveys/schema.json, example in surveys/definitions/) is
1. read (`read_definition`),
2. normalised and validated (`validate_definition`): JSON schema first, then the rules a schema
   cannot express well — unique codes and variables, options/rows/limits only where the type takes
   them, conditions that parse and refer only to questions asked before them,
3. loaded in one transaction (`sync_survey`), in place by code so ids stay stable. A change that
   would alter or remove a variable that already has answers is refused (`DefinitionRefused`);
   wording and labels may always change, and questions may always be added.

Loading the same definition twice writes nothing ("unchanged"): the sha256 of the normalised
definition is stored in Survey.definition_hash.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from . import conditions
from .definition_errors import XLSFORM_MARK, DefinitionError, DefinitionRefused, Message
from .models import Option, Page, Question, Row, Survey
from .xlsform.read import read_xlsform

SCHEMA_PATH = Path(__file__).with_name("schema.json")
# libyaml's parser when PyYAML was built with it: the same safe loader, twenty times faster on big files.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_FILE_BYTES = 2_000_000
CHOICE_TYPES = {"single", "multi", "matrix"}
# Optional texts of the survey that the definition and the Survey model name alike.
SURVEY_TEXTS = ("title_en", "intro", "intro_en", "closing_text", "closing_text_en", "privacy_notice",
                "organisers", "contact_email", "sender_name")
MAX_REPORTED_ERRORS = 30


@dataclass(frozen=True)
class LoadResult:
    survey: Survey
    action: str  # "created" | "updated" | "unchanged"

    def summary(self) -> str:
        pages = len(self.survey.definition.get("pages", []))
        questions = sum(len(p["questions"]) for p in self.survey.definition.get("pages", []))
        if self.action == "unchanged":
            return f"{self.survey.slug}: unchanged"
        return f"{self.survey.slug}: {self.action} ({pages} pages, {questions} questions)"


# --- reading ---------------------------------------------------------------------------------


def read_definition(path: str | Path) -> dict[str, Any]:
    """Parse a YAML or JSON file (YAML is a superset of JSON), or an XLSForm workbook, into a dict."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DefinitionError(f"{path}: file not found")
    except OSError as exc:
        raise DefinitionError(f"{path}: cannot read file ({exc.strerror or exc})")
    return parse_definition(raw, str(path))


def is_workbook(name: str, raw: bytes) -> bool:
    """An .xlsx file is a ZIP archive; either the name or the first bytes make it one."""
    return name.lower().endswith(".xlsx") or raw.startswith(b"PK\x03\x04")


def parse_definition(raw: bytes, name: str) -> dict[str, Any]:
    """The definition dict of an uploaded or read file: XLSForm for workbooks, YAML/JSON otherwise."""
    path = name
    if len(raw) > MAX_FILE_BYTES:
        raise DefinitionError(Message(f"{path}: file is too large ({len(raw)} bytes, at most {MAX_FILE_BYTES})",
                                      _("%(path)s: Die Datei ist zu groß (%(size)s Bytes, höchstens %(limit)s)."),
                                      path=path, size=len(raw), limit=MAX_FILE_BYTES))
    if is_workbook(name, raw):
        return read_xlsform(raw, name)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DefinitionError(Message(f"{path}: not valid UTF-8 (byte {exc.start})",
                                      _("%(path)s: Die Datei ist kein gültiges UTF-8 (Byte %(byte)s)."),
                                      path=path, byte=exc.start))
    try:
        data = yaml.load(text, Loader=_YAML_LOADER)  # noqa: S506 – a safe loader (CSafeLoader or SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise DefinitionError(Message(
            f"{path}: YAML syntax error{where}: {problem}",
            _("%(path)s: YAML-Syntaxfehler in Zeile %(line)s, Spalte %(column)s: %(problem)s") if mark else
            _("%(path)s: YAML-Syntaxfehler: %(problem)s"), path=path, problem=problem,
            line=mark.line + 1 if mark else 0, column=mark.column + 1 if mark else 0))
    if not isinstance(data, dict):
        raise DefinitionError(Message(f"{path}: the file must contain a mapping (slug, title, pages, ...), "
                                      f"not {type(data).__name__}",
                                      _("%(path)s: Die Datei muss eine Zuordnung (slug, title, pages, …) enthalten."),
                                      path=path))
    return data


# --- validation ------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _validator() -> Any:
    """The schema validator, imported on first use: jsonschema takes a third of a second to import, and the
    staff URLs import this module when a web process starts (its health check must answer quickly)."""
    from jsonschema import Draft202012Validator

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _format_path(parts: Any) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


# What the schema names a list of things (the key before an index) → how the report counts them.
_GERMAN_ITEMS = {"pages": _("Seite %(n)s"), "questions": _("Frage %(n)s"), "options": _("Option %(n)s"),
                 "rows": _("Matrixzeile %(n)s")}


def _german_path(parts: Any) -> str:
    """The place of a schema error as the report says it: „Seite 2, Frage 3, Feld ‚type‘“."""
    out: list[str] = []
    previous: Any = None
    for part in parts:
        if isinstance(part, int):
            template = _GERMAN_ITEMS.get(previous)
            if template is not None and out:
                out.pop()  # „Seite 2“, not „Feld ‚pages‘, Seite 2“
            out.append(str(template or _("Eintrag %(n)s")) % {"n": part + 1})
        else:
            out.append(str(_("Feld ‚%(name)s‘")) % {"name": part})
        previous = part
    return ", ".join(out) or str(_("Oberste Ebene der Definition"))


_GERMAN_TYPES = {"string": _("ein Text"), "integer": _("eine ganze Zahl"), "number": _("eine Zahl"),
                 "boolean": _("true oder false"), "array": _("eine Liste"), "object": _("eine Zuordnung"),
                 "null": _("leer")}


def _schema_message(err: Any) -> Message:
    """A jsonschema ValidationError as a Message: the English line load_survey has always printed, and a
    German sentence built from the validator kind (the library's own text is English only)."""
    english = f"{_format_path(err.absolute_path)}: {err.message}"
    kind, value, instance = err.validator, err.validator_value, err.instance
    why: Any
    params: dict[str, Any] = {}
    if kind == "required" and isinstance(instance, dict):
        missing = [name for name in value if name not in instance]
        why, params = _("Das Pflichtfeld „%(name)s“ fehlt."), {"name": ", ".join(missing)}
    elif kind == "additionalProperties" and isinstance(instance, dict):
        known = set(err.schema.get("properties", {}))
        extra = [name for name in instance if name not in known]
        why, params = _("Das Feld „%(name)s“ ist hier nicht vorgesehen."), {"name": ", ".join(map(str, extra))}
    elif kind == "type":
        wanted = value if isinstance(value, list) else [value]
        why = _("Hier wird %(expected)s erwartet, nicht „%(value)s“.")
        params = {"expected": str(_(" oder ")).join(str(_GERMAN_TYPES.get(t, t)) for t in wanted),
                  "value": _shown(instance)}
    elif kind == "enum":
        why = _("„%(value)s“ ist nicht erlaubt; erlaubt sind: %(allowed)s.")
        params = {"value": _shown(instance), "allowed": ", ".join(map(str, value))}
    elif kind == "const":
        why, params = _("Hier ist nur „%(allowed)s“ erlaubt."), {"allowed": value}
    elif kind == "pattern":
        why, params = _("„%(value)s“ hat nicht die erwartete Form (Muster %(pattern)s)."), {
            "value": _shown(instance), "pattern": value}
    elif kind == "minLength":
        why, params = (_("Darf nicht leer sein.") if value == 1 else _("Ist zu kurz (mindestens %(limit)s Zeichen)."),
                       {"limit": value})
    elif kind == "maxLength":
        why, params = _("Ist zu lang (%(length)s Zeichen, höchstens %(limit)s)."), {
            "limit": value, "length": len(instance) if isinstance(instance, str) else "?"}
    elif kind in ("minimum", "exclusiveMinimum"):
        why = (_("%(value)s ist zu klein (mindestens %(limit)s).") if kind == "minimum"
               else _("%(value)s ist zu klein (muss größer als %(limit)s sein)."))
        params = {"value": instance, "limit": value}
    elif kind in ("maximum", "exclusiveMaximum"):
        why = (_("%(value)s ist zu groß (höchstens %(limit)s).") if kind == "maximum"
               else _("%(value)s ist zu groß (muss kleiner als %(limit)s sein)."))
        params = {"value": instance, "limit": value}
    elif kind == "minItems":
        why = (_("Die Liste darf nicht leer sein.") if value == 1
               else _("Die Liste braucht mindestens %(limit)s Einträge."))
        params = {"limit": value}
    elif kind == "maxItems":
        why, params = _("Die Liste hat mehr als %(limit)s Einträge."), {"limit": value}
    elif kind == "uniqueItems":
        why = _("Die Liste enthält einen Eintrag zweimal.")
    else:  # a rule the schema may gain later: still German, still with its place
        why, params = _("Der Wert entspricht nicht der Regel „%(rule)s“ der Definition."), {"rule": kind}
    return Message(english, _("%(where)s: %(problem)s"), where=_german_path(err.absolute_path),
                   problem=Message(err.message, why, **params))


def _shown(value: Any) -> str:
    """A value as the report quotes it: short, JSON-like (a dict or list is named, not printed)."""
    if isinstance(value, dict):
        return str(_("eine Zuordnung"))
    if isinstance(value, list):
        return str(_("eine Liste"))
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


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
    errors = [
        _schema_message(err)
        for err in sorted(_validator().iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    ]
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


def question_variables(question: dict[str, Any]) -> dict[str, str]:
    """The answer-mapping keys a question produces → their kind (the question type, "row" or "text")."""
    code, qtype = question["code"], question["type"]
    if qtype == "matrix":
        return {row["code"]: "row" for row in question.get("rows", [])}
    out = {code: qtype}
    for opt in question.get("options", []):
        if opt.get("other_text"):
            out[f"{code}_{opt['code']}_text"] = "text"
    return out


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
    return _condition_errors(data)


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


@dataclass
class ConditionContext:
    kinds: dict[str, str]  # variable → kind (question type, "row", "text"; "matrix" for a matrix's own code)
    option_codes: dict[str, set[str]]  # choice variable → its option codes
    before: set[str]  # variables of questions asked before the current point


def _condition_errors(data: dict[str, Any]) -> list[str]:
    return [Message(str(problem), _("%(owner)s: Bedingung „%(expr)s“: %(why)s"), expr=problem.expr,
                    owner=(_("Frage %(code)s") % {"code": problem.question} if problem.question
                           else _("Seite %(code)s") % {"code": problem.page}), why=problem.message())
            for problem in condition_problems(data)]


@dataclass(frozen=True)
class ConditionProblem:
    """A condition that does not parse or refers to something it may not; `position` is the 0-based
    character offset in `expr`. English via `str()` (command line), German via `message()`."""

    owner: str  # "page P3" or a question code
    page: str  # code of the page the condition belongs to (its own or its question's)
    question: str | None  # question code, None for a page condition
    expr: str
    position: int
    english: str
    german: Any
    params: tuple[tuple[str, Any], ...] = ()

    def __str__(self) -> str:
        return f"{self.owner}: condition {self.expr!r} at position {self.position}: {self.english}"

    def message(self) -> str:
        return str(self.german) % {**dict(self.params), "position": self.position + 1}


def condition_problems(data: dict[str, Any]) -> list[ConditionProblem]:
    """Conditions must parse and may only refer to questions asked before them: a page condition to
    earlier pages, a question condition to earlier pages or earlier on its own page. Values compared
    with a choice variable must be option codes of that question. Works on any definition shape the
    editor produces (pages may still be empty)."""
    ctx = ConditionContext({}, {}, set())
    for page in data["pages"]:
        for question in page["questions"]:
            ctx.kinds.update(question_variables(question))
            codes = {o["code"] for o in question.get("options", [])}
            if question["type"] == "matrix":
                ctx.kinds[question["code"]] = "matrix"
                ctx.option_codes.update({row["code"]: codes for row in question.get("rows", [])})
            elif question["type"] in CHOICE_TYPES:
                ctx.option_codes[question["code"]] = codes
    problems: list[ConditionProblem] = []
    for page in data["pages"]:
        if "show_if" in page:
            problems.extend(check_condition(f"page {page['code']}", page["code"], None, page["show_if"], ctx,
                                             "on an earlier page"))
        for question in page["questions"]:
            if "show_if" in question:
                problems.extend(check_condition(question["code"], page["code"], question["code"],
                                                 question["show_if"], ctx, "before this question"))
            ctx.before.update(question_variables(question))
    return problems


def check_condition(owner: str, page: str, question: str | None, expr: str, ctx: ConditionContext,
                     place: str) -> list[ConditionProblem]:
    def problem(position: int, english: str, german: Any, **params: Any) -> ConditionProblem:
        return ConditionProblem(owner, page, question, expr, position, english, german, tuple(params.items()))

    try:
        node = conditions.parse(expr, known=ctx.kinds)
    except conditions.ConditionError as exc:
        return [problem(exc.position, exc.message,
                        _("Die Bedingung ist an Position %(position)s nicht lesbar: %(detail)s"), detail=exc.message)]
    problems = []
    for ref in conditions.references(node):
        if ref.name not in ctx.before:
            german = (_("„%(name)s“ an Position %(position)s wird nicht auf einer früheren Seite gefragt; eine "
                        "Bedingung darf sich nur auf vorher gestellte Fragen beziehen.") if question is None else
                      _("„%(name)s“ an Position %(position)s wird nicht vor dieser Frage gefragt; eine Bedingung "
                        "darf sich nur auf vorher gestellte Fragen beziehen."))
            problems.append(problem(ref.position, f"{ref.name!r} is not asked {place}", german, name=ref.name))
    for test in conditions.tests(node):
        if isinstance(test, conditions.Answered):
            continue  # `answered X` names no option code
        if isinstance(test, conditions.Compare) and test.op not in ("=", "!="):
            continue
        allowed = ctx.option_codes.get(test.var.name)
        values = test.values if isinstance(test, conditions.In) else (test.value,)
        for value in values:
            if allowed is not None and value.value not in allowed:
                codes = ", ".join(sorted(allowed))
                problems.append(problem(
                    test.var.position, f"{value.value!r} is not an option code of {test.var.name} ({codes})",
                    _("„%(value)s“ an Position %(position)s ist kein Optionscode von %(name)s (möglich: %(codes)s)."),
                    value=value.value, name=test.var.name, codes=codes))
    return problems


def definition_hash(data: dict[str, Any]) -> str:
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --- loading ---------------------------------------------------------------------------------


def load_definition_file(path: str | Path) -> LoadResult:
    return sync_survey(validate_definition(read_definition(path)))


def existing_survey_refusals(data: dict[str, Any]) -> tuple[Survey | None, list[str]]:
    """For a validated definition: the survey it would update (None: it would create one) and the lines
    saying why `sync_survey` would refuse it. Writes nothing; the upload report shows this."""
    survey = Survey.objects.filter(slug=data["slug"]).first()
    if survey is None:
        return None, []
    return survey, _refusals(survey, data)


def sync_survey(data: dict[str, Any]) -> LoadResult:
    """Create or update the survey described by a validated definition, in one transaction."""
    digest = definition_hash(data)
    with transaction.atomic():
        survey = Survey.objects.select_for_update().filter(slug=data["slug"]).first()
        if survey is not None and is_unchanged(survey, data):
            return LoadResult(survey, "unchanged")
        action = "created" if survey is None else "updated"
        if survey is not None:
            refusals = _refusals(survey, data)
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
    # _refusals has made sure that nothing removed here has answers.
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


# --- refusal ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """Why a change of an answered question is refused: English for the command line (`str()`),
    German for the staff area (`message()`, translated)."""

    english: str
    german: Any  # a lazily translated template with %(name)s placeholders
    params: tuple[tuple[str, Any], ...] = ()

    def __str__(self) -> str:
        return self.english

    def message(self) -> str:
        return str(self.german) % dict(self.params)


def _refusals(survey: Survey, data: dict[str, Any]) -> list[str]:
    """Why the new definition may not be loaded: one line per answered variable it would alter/remove."""
    answered = list(
        Question.objects.filter(survey=survey, answers__isnull=False).distinct()
        .prefetch_related("options", "rows").order_by("page__position", "position")
    )
    if not answered:
        return []
    new = {q["code"]: q for page in data["pages"] for q in page["questions"]}
    return [Message(f"{question.code}: {why}", _("%(code)s: %(why)s"), code=question.code, why=why.message())
            for question in answered for why in question_refusals(question, new.get(question.code))]


def question_refusals(question: Question, qdef: dict[str, Any] | None) -> list[Refusal]:
    """Why an answered `question` may not become `qdef` (None: be removed); empty when it may.

    The one place of the rules "wording may change; codes, types, options and rows of answered
    questions may not", shared by `load_survey` and the questionnaire editor."""
    if qdef is None:
        return [Refusal("removed", _("Die Frage %(code)s hat bereits Antworten und kann nicht gelöscht werden."),
                        (("code", question.code),))]
    return _question_changes(question, qdef)


def _question_changes(question: Question, qdef: dict[str, Any]) -> list[Refusal]:
    if question.type != qdef["type"]:
        return [Refusal(f"type changed from {question.type} to {qdef['type']}",
                        _("Der Fragetyp kann nicht mehr geändert werden (von „%(old)s“ zu „%(new)s“), "
                          "weil die Frage bereits Antworten hat."),
                        (("old", question.type), ("new", qdef["type"])))]
    why: list[Refusal] = []
    new_options = {o["code"]: o for o in qdef.get("options", [])}
    for option in question.options.all():
        odef = new_options.get(option.code)
        code = (("code", option.code),)
        if odef is None:
            why.append(Refusal(f"option code {option.code!r} removed",
                               _("Die Antwortoption mit dem Code %(code)s wurde bereits gewählt oder gehört zu "
                                 "einer beantworteten Frage; ihr Code kann nicht entfernt oder geändert werden."),
                               code))
            continue
        if option.has_text and not odef.get("other_text", False):
            why.append(Refusal(f"other text of option {option.code!r} removed ({option.text_variable})",
                               _("Das Freitextfeld der Option %(code)s kann nicht mehr entfernt werden."), code))
        if odef.get("exclusive", False) and not option.exclusive:
            why.append(Refusal(f"option {option.code!r} made exclusive",
                               _("Die Option %(code)s kann nicht mehr exklusiv gemacht werden."), code))
    new_rows = {r["code"] for r in qdef.get("rows", [])}
    why.extend(Refusal(f"row {row.code!r} removed",
                       _("Die Zeile mit dem Code %(code)s hat bereits Antworten; ihr Code kann nicht entfernt "
                         "oder geändert werden."), (("code", row.code),))
               for row in question.rows.all() if row.code not in new_rows)
    why.extend(_limit_changes(question, qdef))
    return why


def _limit_changes(question: Question, qdef: dict[str, Any]) -> list[Refusal]:
    why: list[Refusal] = []
    new_min, new_max, new_len = qdef.get("min"), qdef.get("max"), qdef.get("max_length")
    if new_min is not None and (question.min_value is None or new_min > question.min_value):
        why.append(Refusal(f"minimum raised from {question.min_value} to {new_min}",
                           _("Das Minimum kann nicht mehr erhöht werden (bisher %(old)s, neu %(new)s)."),
                           (("old", question.min_value), ("new", new_min))))
    if new_max is not None and (question.max_value is None or new_max < question.max_value):
        why.append(Refusal(f"maximum lowered from {question.max_value} to {new_max}",
                           _("Das Maximum kann nicht mehr gesenkt werden (bisher %(old)s, neu %(new)s)."),
                           (("old", question.max_value), ("new", new_max))))
    if new_len is not None and (question.max_length is None or new_len < question.max_length):
        why.append(Refusal(f"max_length reduced from {question.max_length} to {new_len}",
                           _("Die maximale Länge kann nicht mehr verringert werden (bisher %(old)s, neu %(new)s)."),
                           (("old", question.max_length), ("new", new_len))))
    return why


# --- writing: the database back to a definition ----------------------------------------------

# Key order of the canonical form; keys not listed here do not exist in a valid definition.
SURVEY_KEYS = ("slug", "title", "title_en", "intro", "intro_en", "estimated_minutes", "closing_text",
               "closing_text_en", "privacy_notice", "organisers", "contact_email", "sender_name",
               "field_period", "emails", "pages")
PAGE_KEYS = ("code", "title", "title_en", "intro", "intro_en", "show_if", "questions")
QUESTION_KEYS = ("code", "type", "text", "text_en", "help", "help_en", "required", "show_if", "min", "max",
                 "max_length", "rows", "options")
OPTION_KEYS = ("code", "label", "label_en", "exclusive", "other_text")
ROW_KEYS = ("code", "label", "label_en")


def _pick(source: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """The listed keys in that order, without empty optionals ("", None, False, {}, []); 0 is kept."""
    return {key: source[key] for key in keys if key in source and not _empty(source[key])}


def _empty(value: Any) -> bool:
    # `value in ("", False, ...)` would count 0 as False and drop a minimum of 0.
    return value is None or value is False or (isinstance(value, str | dict | list) and not value)


def canonical_question(question: dict[str, Any]) -> dict[str, Any]:
    """A question in canonical form: key order of QUESTION_KEYS, empty optionals left out."""
    q = dict(question)
    if "options" in q:
        q["options"] = [_pick(o, OPTION_KEYS) for o in q["options"]]
    if "rows" in q:
        q["rows"] = [_pick(r, ROW_KEYS) for r in q["rows"]]
    return _pick(q, QUESTION_KEYS)


def canonical(data: dict[str, Any]) -> dict[str, Any]:
    """The canonical form of a validated definition: stable key order, empty optionals omitted.

    Canonical form of a file = parse → validate_definition (normalise) → canonical → dump_yaml."""
    out = dict(data)
    if "field_period" in out:
        out["field_period"] = _pick(out["field_period"], ("opens", "closes"))
    if "emails" in out:
        emails = {kind: _pick(out["emails"].get(kind, {}), ("subject", "body")) for kind in ("invitation", "reminder")}
        out["emails"] = _pick(emails, ("invitation", "reminder"))
    pages = [_pick({**page, "questions": [canonical_question(q) for q in page["questions"]]}, PAGE_KEYS)
             for page in data.get("pages", [])]
    out["pages"] = pages
    result = _pick(out, SURVEY_KEYS)
    result.setdefault("pages", [])
    return result


def export_definition(survey: Survey) -> dict[str, Any]:
    """The survey as it is stored in the tables (the source of truth once staff edit it), in canonical form.

    The one reader of the tables into a definition (downloads, new waves, the "unchanged" check after an
    edit, tests): four queries whatever the survey's size, rows read as tuples rather than model instances."""
    data: dict[str, Any] = {"slug": survey.slug, "title": survey.title,
                            **{name: getattr(survey, name) for name in SURVEY_TEXTS},
                            "estimated_minutes": survey.estimated_minutes}
    data["field_period"] = {"opens": survey.opens_on.isoformat() if survey.opens_on else None,
                            "closes": survey.closes_on.isoformat() if survey.closes_on else None}
    data["emails"] = {kind: {"subject": getattr(survey, f"{kind}_subject"), "body": getattr(survey, f"{kind}_body")}
                      for kind in ("invitation", "reminder")}
    questions: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for page_id, _pk, qdef in question_defs(Question.objects.filter(survey=survey)):
        questions[page_id].append(qdef)
    data["pages"] = [
        {"code": p.code, "title": p.title, "title_en": p.title_en, "intro": p.intro, "intro_en": p.intro_en,
         "show_if": p.condition, "questions": questions[p.pk]}
        for p in survey.pages.order_by("position")
    ]
    return canonical(data)


def question_definition(question: Question) -> dict[str, Any]:
    """One question as the tables hold it, in canonical form (what export_definition writes for it)."""
    return next(qdef for _page, _pk, qdef in question_defs(Question.objects.filter(pk=question.pk)))


def question_defs(selected: Any) -> list[tuple[int, int, dict[str, Any]]]:
    """(page id, question id, canonical question) of the `selected` questions in page and position order;
    three queries however many they are."""
    options: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for qid, code, label, label_en, exclusive, has_text in (
        Option.objects.filter(question__in=selected.values("pk")).order_by("question_id", "position")
        .values_list("question_id", "code", "label", "label_en", "exclusive", "has_text")
    ):
        options[qid].append({"code": code, "label": label, "label_en": label_en, "exclusive": exclusive,
                             "other_text": has_text})
    rows: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for qid, code, label, label_en in (
        Row.objects.filter(question__in=selected.values("pk")).order_by("question_id", "position")
        .values_list("question_id", "code", "label", "label_en")
    ):
        rows[qid].append({"code": code, "label": label, "label_en": label_en})
    out = []
    for q in selected.order_by("page_id", "position").values(
        "id", "page_id", "code", "type", "text", "text_en", "help_text", "help_text_en", "required", "condition",
        "min_value", "max_value", "max_length",
    ):
        qdef = {"code": q["code"], "type": q["type"], "text": q["text"], "text_en": q["text_en"],
                "help": q["help_text"], "help_en": q["help_text_en"], "required": q["required"],
                "show_if": q["condition"], "min": q["min_value"], "max": q["max_value"],
                "max_length": q["max_length"]}
        if q["type"] in CHOICE_TYPES:
            qdef["options"] = options[q["id"]]
        if q["type"] == "matrix":
            qdef["rows"] = rows[q["id"]]
        out.append((q["page_id"], q["id"], canonical_question(qdef)))
    return out

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


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Block style for multi-line texts, so a downloaded definition stays readable and diffable."""


def _str_presenter(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_presenter)


def dump_yaml(data: dict[str, Any]) -> str:
    """YAML text of a definition in canonical form (keys in canonical order, UTF-8, no line wrapping)."""
    header = "# Rücklauf survey definition; load with: python manage.py load_survey FILE\n"
    return header + yaml.dump(canonical(data), Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                              width=10_000, default_flow_style=False)


def canonical_yaml_of_file(path: str | Path) -> str:
    """The canonical form of a definition file: parse → normalise → dump."""
    return dump_yaml(validate_definition(read_definition(path)))


# --- new waves -------------------------------------------------------------------------------


def copy_survey(source: Survey, slug: str, title: str, opens_on: datetime.date | None = None,
                closes_on: datetime.date | None = None) -> Survey:
    """A new wave of `source`: the same pages, questions, options and codes (through the same definition
    path as a download and upload), a new slug, title and field period, status draft, `copied_from` set.
    Responses, invitations and messages belong to the old survey and are never copied."""
    data = export_definition(source)
    data.update(slug=slug, title=title,
                field_period={"opens": opens_on.isoformat() if opens_on else None,
                              "closes": closes_on.isoformat() if closes_on else None})
    data = canonical(data)
    if data["pages"]:
        data = validate_definition(data)
    with transaction.atomic():
        try:
            with transaction.atomic():
                # Created first, so that a survey of the same slug created meanwhile fails here instead of
                # being updated by sync_survey.
                Survey.objects.create(slug=slug, title=title, copied_from=source)
        except IntegrityError:
            raise DefinitionError(f"{slug}: a survey with this identifier exists already")
        return sync_survey(data).survey
