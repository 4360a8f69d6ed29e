"""Reading an XLSForm workbook into a definition dict (then validated and loaded like a YAML file).

Why openpyxl and not pyxform: pyxform 4.5 pins openpyxl 3.1.5 (our version) but adds xlrd, lark and
defusedxml, and what it offers beyond reading cells is the conversion to an ODK XForm, which we do not
need. Its intermediate JSON has already resolved aliases, defaults and groups by ODK's rules (it
accepts repeats, calculations and any XPath), and does not keep the cell each value came from. We need
the opposite: refuse everything Rücklauf cannot do, with sheet, row and column. Reading cells is a
few lines of openpyxl, which is already a dependency.

What is understood (anything else is refused with sheet, row, column and reason — never guessed):

- `survey` sheet: columns type, name, label, hint, required, relevant, constraint, appearance, with
  translations as `label::Deutsch (de)` / `label::English (en)` (German is the survey's language,
  English the optional translation; `settings.default_language` names the main one).
- every top-level `begin_group` … `end_group` is a page (name → page code, label → title, hint →
  introduction, relevant → page condition); a group inside a page whose questions are all
  `select_one` of the same list, with appearance `table-list` or `field-list`, is a matrix question
  (group name → question code, each question → a row).
- types: select_one → single, select_multiple → multi, integer → number, text → text (textarea with
  appearance `multiline`), date, email (type `email`, or text with a `regex(., '…@…')` constraint);
  `or_other` adds the option "other" with a text field; a text question named `<select>_<code>_text`
  directly after a select, shown only if `selected(${select}, '<code>')`, is that option's other text.
- constraints: number limits (`. >= 1 and . <= 100000`), `string-length(.) <= N` on text,
  `not(selected(., 'c') and count-selected(.) > 1)` on select_multiple for an exclusive option.
- relevant: the XPath subset `${x} = 'v'`, `!=`, `<`, `<=`, `>`, `>=`, `selected(${x}, 'v')`, `and`,
  `or`, `not(...)`, parentheses, and `${x} != ''` for "answered"; translated to surveys/conditions.py.
- `choices` sheet: list_name, name, label (translated like the survey sheet).
- `settings` sheet: form_title (→ title; `form_title::English (en)` → English title), form_id (→ slug),
  default_language, version (ignored), and Rücklauf's own survey texts as extra columns
  (SETTINGS_TEXTS: intro, organisers, contact_email, opens, closes, invitation_subject, …).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from surveys.definition_errors import XLSFORM_MARK, DefinitionError, Message
from surveys.spreadsheets import SpreadsheetRefused, check_xlsx

from .expressions import (
    LENGTH_CONSTRAINT,
    REGEX_CONSTRAINT,
    XPathError,
    exclusive_codes,
    number_limits,
    xpath_to_condition,
)
from .layout import (
    GERMAN,
    OTHER_LABEL,
    OTHER_LABEL_EN,
    SETTINGS_TEXTS,
    SURVEY_COLUMNS,
    TRANSLATED,
)
from .sheets import LIMITS, Problem, Sheet, known_columns, language_code, languages, read_sheet

MAX_PROBLEMS = 30


# Types XLSForm has and Rücklauf does not: a reason instead of "unknown type".
# Why each is refused: English on the command line, German in the staff report.
_WHY = {
    "repeats are not supported": _("Wiederholungsgruppen werden nicht unterstützt"),
    "calculations are not supported": _("Berechnungen werden nicht unterstützt"),
    "locations are not supported": _("Ortsangaben werden nicht unterstützt"),
    "only whole numbers are supported (use integer)": _("nur ganze Zahlen werden unterstützt (integer verwenden)"),
    "ranges are not supported": _("Schieberegler (range) werden nicht unterstützt"),
    "times are not supported (use date)": _("Uhrzeiten werden nicht unterstützt (date verwenden)"),
    "date and time are not supported (use date)": _("Datum mit Uhrzeit wird nicht unterstützt (date verwenden)"),
    "notes are not supported (put the text in the hint of the group = the page introduction)":
        _("Hinweisfelder (note) werden nicht unterstützt (den Text in den hint der Gruppe schreiben = die "
          "Einleitung der Seite)"),
    "files are not supported": _("Dateien werden nicht unterstützt"),
    "barcodes are not supported": _("Barcodes werden nicht unterstützt"),
    "acknowledgements are not supported": _("Bestätigungsfelder werden nicht unterstützt"),
    "ranking is not supported": _("Rangfolgen werden nicht unterstützt"),
    "hidden fields are not supported": _("versteckte Felder werden nicht unterstützt"),
    "choice lists from files are not supported": _("Auswahllisten aus Dateien werden nicht unterstützt"),
    "external data is not supported": _("externe Daten werden nicht unterstützt"),
    "metadata fields are not supported": _("Metadatenfelder werden nicht unterstützt"),
}
UNSUPPORTED_TYPES = {kind: Message(why, _WHY[why]) for kind, why in {
    "begin_repeat": "repeats are not supported",
    "end_repeat": "repeats are not supported",
    "calculate": "calculations are not supported",
    "geopoint": "locations are not supported",
    "geotrace": "locations are not supported",
    "geoshape": "locations are not supported",
    "decimal": "only whole numbers are supported (use integer)",
    "range": "ranges are not supported",
    "time": "times are not supported (use date)",
    "datetime": "date and time are not supported (use date)",
    "note": "notes are not supported (put the text in the hint of the group = the page introduction)",
    "image": "files are not supported",
    "audio": "files are not supported",
    "video": "files are not supported",
    "file": "files are not supported",
    "background-audio": "files are not supported",
    "barcode": "barcodes are not supported",
    "acknowledge": "acknowledgements are not supported",
    "rank": "ranking is not supported",
    "hidden": "hidden fields are not supported",
    "select_one_from_file": "choice lists from files are not supported",
    "select_multiple_from_file": "choice lists from files are not supported",
    "xml-external": "external data is not supported",
    "csv-external": "external data is not supported",
    "start": "metadata fields are not supported",
    "end": "metadata fields are not supported",
    "today": "metadata fields are not supported",
    "deviceid": "metadata fields are not supported",
    "username": "metadata fields are not supported",
    "phonenumber": "metadata fields are not supported",
    "audit": "metadata fields are not supported",
    "start-geopoint": "metadata fields are not supported",
}.items()}


# --- reading -------------------------------------------------------------------------------


def _yes(value: str) -> bool | None:
    lowered = value.strip().lower()
    if lowered in ("", "no", "false", "false()", "0", "nein"):
        return False
    if lowered in ("yes", "true", "true()", "1", "ja"):
        return True
    return None


@dataclass
class _Choices:
    lists: dict[str, list[dict[str, str]]]
    rows: dict[str, int]  # list name → first row
    used: set[str] = field(default_factory=set)


def read_xlsform(raw: bytes, name: str = "workbook") -> dict[str, Any]:
    """The definition dict of an XLSForm workbook; DefinitionError lists every problem with its place."""
    # Imported on use: openpyxl's import takes tenths of a second that every web process would pay at start.
    from openpyxl import load_workbook

    try:
        check_xlsx(raw, LIMITS)
    except SpreadsheetRefused as exc:
        raise _refused(name, exc)
    try:
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds (BadZipFile, KeyError, InvalidFileException, ...)
        raise DefinitionError(Message(f"{name}: not an Excel workbook (.xlsx); save the XLSForm as "
                                      "'Excel workbook (.xlsx)' and try again",
                                      _("%(name)s: Die Datei ist keine Excel-Arbeitsmappe (.xlsx). Bitte das XLSForm "
                                        "als „Excel-Arbeitsmappe (.xlsx)“ speichern und erneut hochladen."),
                                      name=name))
    try:
        sheets = {ws.title.strip().lower(): read_sheet(ws) for ws in workbook.worksheets}
    except DefinitionError as exc:
        raise DefinitionError(Message(f"{name}: {exc}", _("%(name)s: %(problem)s"), name=name, problem=exc.errors[0]))
    except SpreadsheetRefused as exc:
        raise _refused(name, exc)
    except Exception:
        raise DefinitionError(Message(f"{name}: the workbook cannot be read; save it again as .xlsx and try again",
                                      _("%(name)s: Die Arbeitsmappe kann nicht gelesen werden. Bitte erneut als .xlsx "
                                        "speichern und noch einmal hochladen."), name=name))
    finally:
        workbook.close()
    problems: list[Problem] = []
    data = _Reader(sheets, problems).read()
    if problems:
        raise DefinitionError([p.text() for p in problems[:MAX_PROBLEMS]])
    return data


def _refused(name: str, exc: SpreadsheetRefused) -> DefinitionError:
    return DefinitionError(Message(f"{name}: {exc.english}", _("%(name)s: %(problem)s"), name=name,
                                   problem=Message(exc.english, exc.german, **exc.params)))


class _Reader:
    def __init__(self, sheets: dict[str, Sheet], problems: list[Problem]) -> None:
        self.sheets = sheets
        self.problems = problems
        self.rows: dict[str, str] = {}

    def refuse(self, sheet: Sheet, row: int | None, header: str | None, reason: Message) -> None:
        self.problems.append(sheet.problem(row, header, reason))

    def read(self) -> dict[str, Any]:
        survey = self.sheets.get("survey")
        if survey is None:
            self.problems.append(Problem("survey", None, None, Message(
                "the workbook has no sheet named 'survey'", _("Die Arbeitsmappe hat kein Tabellenblatt „survey“."))))
            return {}
        data, default = self._settings()
        choices = self._choices(default)
        if not survey.rows:
            self.refuse(survey, None, None, Message(
                "the survey sheet is empty: it needs at least one group (begin_group … end_group) with questions",
                _("Das Tabellenblatt „survey“ ist leer: Es braucht mindestens eine Gruppe (begin_group … end_group) "
                  "mit Fragen.")))
            return data
        data["pages"] = _SurveySheet(self, survey, choices, default).read()
        for list_name, first_row in choices.rows.items():
            if list_name not in choices.used:
                self.refuse(self.sheets["choices"], first_row, "list_name", Message(
                    f"choice list {list_name!r} is not used by any question",
                    _("Die Auswahlliste „%(list)s“ wird von keiner Frage verwendet."), list=list_name))
        data[XLSFORM_MARK] = self.rows
        return data

    def _settings(self) -> tuple[dict[str, Any], str]:
        sheet = self.sheets.get("settings")
        data: dict[str, Any] = {}
        if sheet is None or not sheet.rows:
            self.problems.append(Problem("settings", None, None, Message(
                "the workbook needs a 'settings' sheet with form_title and form_id (the survey's identifier)",
                _("Die Arbeitsmappe braucht ein Tabellenblatt „settings“ mit form_title und form_id (der Kennung der "
                  "Befragung)."))))
            return data, "de"
        number, cells = sheet.rows[0]
        self.rows[""] = f"sheet 'settings', row {number}"
        default_name = ""
        for header in sheet.headers:
            if header.lower() == "default_language":
                default_name = cells.get(header, "")
        default = language_code(default_name) if default_name else "de"
        if default is None:
            self.refuse(sheet, number, "default_language",
                        Message(f"language {default_name!r} has no code; write it like {GERMAN!r}",
                                _("Die Sprache „%(lang)s“ hat kein Kürzel; bitte so schreiben: „%(german)s“."),
                                lang=default_name, german=GERMAN))
            default = "de"
        allowed = {"form_title", "form_id", "default_language", "version", *SETTINGS_TEXTS}
        known_columns(sheet, allowed, self.problems)
        langs = languages(sheet, default, self.problems, {"form_title"})
        title_header = langs.main.get("form_title")
        data["title"] = cells.get(title_header, "") if title_header else ""
        if not data["title"]:
            self.refuse(sheet, number, title_header or "form_title", Message(
                "form_title (the survey's title) is missing", _("form_title (der Titel der Befragung) fehlt.")))
        if "form_title" in langs.english and cells.get(langs.english["form_title"]):
            data["title_en"] = cells[langs.english["form_title"]]
        slug = cells.get("form_id", "")
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,99}", slug):
            self.refuse(sheet, number, "form_id", Message(
                f"form_id {slug!r} cannot be the survey's identifier: use lower-case letters, digits and "
                "hyphens, starting with a letter or digit (e.g. kgst-social-media-2025)",
                _("form_id „%(slug)s“ kann nicht die Kennung der Befragung sein: Bitte Kleinbuchstaben, Ziffern und "
                  "Bindestriche verwenden, am Anfang ein Buchstabe oder eine Ziffer (z. B. kgst-social-media-2025)."),
                slug=slug) if slug else Message(
                "form_id (the survey's identifier, e.g. kgst-social-media-2025) is missing",
                _("form_id (die Kennung der Befragung, z. B. kgst-social-media-2025) fehlt.")))
        data["slug"] = slug
        for key in SETTINGS_TEXTS:
            value = cells.get(key, "")
            if not value:
                continue
            if key in ("opens", "closes"):
                data.setdefault("field_period", {})[key] = value
            elif key.startswith(("invitation_", "reminder_")):
                kind, _sep, part = key.partition("_")
                data.setdefault("emails", {}).setdefault(kind, {})[part] = value
            elif key == "estimated_minutes":
                if not (value.isascii() and value.isdigit()):
                    self.refuse(sheet, number, key, Message(f"{value!r} is not a whole number of minutes",
                                                            _("„%(value)s“ ist keine ganze Zahl von Minuten."),
                                                            value=value))
                else:
                    data[key] = int(value)
            else:
                data[key] = value
        if len(sheet.rows) > 1:
            self.refuse(sheet, sheet.rows[1][0], None, Message(
                "the settings sheet has only one row of values",
                _("Das Tabellenblatt „settings“ hat nur eine Zeile mit Werten.")))
        return data, default

    def _choices(self, default: str) -> _Choices:
        sheet = self.sheets.get("choices")
        result = _Choices({}, {})
        if sheet is None:
            return result
        known_columns(sheet, {"list_name", "name", "label"}, self.problems)
        langs = languages(sheet, default, self.problems, {"label"})
        list_header = next((h for h in sheet.headers if h.lower().replace(" ", "_") == "list_name"), "list_name")
        for number, cells in sheet.rows:
            list_name, code = cells.get(list_header, ""), cells.get("name", "")
            if not list_name:
                self.refuse(sheet, number, list_header, Message("list_name is empty", _("list_name ist leer.")))
                continue
            if not code:
                self.refuse(sheet, number, "name", Message("name (the option's code) is empty",
                                                           _("name (der Code der Option) ist leer.")))
                continue
            options = result.lists.setdefault(list_name, [])
            result.rows.setdefault(list_name, number)
            if any(o["code"] == code for o in options):
                self.refuse(sheet, number, "name", Message(
                    f"duplicate name {code!r} in choice list {list_name!r}",
                    _("Der Name „%(code)s“ kommt in der Auswahlliste „%(list)s“ zweimal vor."), code=code,
                    list=list_name))
                continue
            option = {"code": code, "label": cells.get(langs.main.get("label", ""), "")}
            if not option["label"]:
                self.refuse(sheet, number, langs.main.get("label", "label"), Message(
                    f"option {code!r} has no label", _("Die Option „%(code)s“ hat keine Beschriftung."), code=code))
            english = cells.get(langs.english.get("label", ""), "")
            if english:
                option["label_en"] = english
            options.append(option)
        return result


@dataclass
class _Group:
    row: int
    cells: dict[str, str]
    items: list[tuple[int, dict[str, str]]] = field(default_factory=list)


class _SurveySheet:
    def __init__(self, reader: _Reader, sheet: Sheet, choices: _Choices, default: str) -> None:
        self.reader, self.sheet, self.choices = reader, sheet, choices
        self.problems = reader.problems
        self.columns = known_columns(sheet, SURVEY_COLUMNS, self.problems)
        self.langs = languages(sheet, default, self.problems, TRANSLATED)
        self.names: dict[str, int] = {}

    def refuse(self, row: int | None, column: str | None, reason: Message) -> None:
        header = self.langs.main.get(column, self.columns.get(column or "", column)) if column else None
        self.problems.append(self.sheet.problem(row, header, reason))

    def cell(self, cells: dict[str, str], column: str) -> str:
        header = self.langs.main.get(column) if column in TRANSLATED else self.columns.get(column)
        return cells.get(header or column, "")

    def english(self, cells: dict[str, str], column: str) -> str:
        header = self.langs.english.get(column)
        return cells.get(header, "") if header else ""

    @staticmethod
    def type_of(cells: dict[str, str]) -> str:
        """The type with its keyword in lower case; a choice list's name keeps its case."""
        parts = cells.get("type", "").split()
        if not parts:
            return ""
        if len(parts) > 1 and parts[0].lower() in ("select", "begin", "end"):
            parts = [f"{parts[0]}_{parts[1]}", *parts[2:]]
        return " ".join([parts[0].lower(), *parts[1:2], *(p.lower() for p in parts[2:])])

    def read(self) -> list[dict[str, Any]]:
        """Split the rows into top-level groups (pages), then read each page."""
        pages: list[dict[str, Any]] = []
        stack: list[_Group] = []
        for number, cells in self.sheet.rows:
            kind = self.type_of(cells)
            if kind == "begin_group":
                group = _Group(number, cells)
                if stack:
                    stack[-1].items.append((number, {**cells, "type": "__group__", "__group__": group}))  # type: ignore[dict-item]
                stack.append(group)
            elif kind == "end_group":
                if not stack:
                    self.refuse(number, "type", Message("end_group without a begin_group before it",
                                                        _("end_group ohne ein begin_group davor.")))
                    continue
                group = stack.pop()
                if not stack:
                    pages.append(self.page(group, len(pages)))
            elif not stack:
                if kind:
                    self.refuse(number, "type", Message(
                        "every question must be inside a group (begin_group … end_group); each group at the top "
                        "level is one page",
                        _("Jede Frage muss in einer Gruppe stehen (begin_group … end_group); jede Gruppe auf der "
                          "obersten Ebene ist eine Seite.")))
            else:
                stack[-1].items.append((number, cells))
        for group in stack:
            self.refuse(group.row, "type", Message("begin_group without its end_group",
                                                   _("begin_group ohne sein end_group.")))
        return pages

    def check_name(self, number: int, name: str) -> bool:
        if not name:
            self.refuse(number, "name", Message("name (the variable code) is empty",
                                                _("name (der Variablencode) ist leer.")))
            return False
        if name in self.names:
            self.refuse(number, "name", Message(
                f"duplicate name {name!r} (already used in row {self.names[name]})",
                _("Der Name „%(name)s“ kommt zweimal vor (schon in Zeile %(row)s)."), name=name,
                row=self.names[name]))
            return False
        self.names[name] = number
        return True

    def relevant(self, number: int, cells: dict[str, str]) -> str | None:
        expr = self.cell(cells, "relevant")
        if not expr:
            return None
        try:
            return xpath_to_condition(expr)
        except XPathError as exc:
            self.refuse(number, "relevant", Message(
                f"{exc.message} (at position {exc.position + 1} of {expr!r})",
                _("%(why)s (an Position %(position)s von „%(expr)s“)"), why=exc.message,
                position=exc.position + 1, expr=expr))
            return None

    def page(self, group: _Group, index: int) -> dict[str, Any]:
        cells = group.cells
        code = self.cell(cells, "name")
        self.check_name(group.row, code)
        self.reader.rows[f"pages[{index}]"] = f"sheet 'survey', row {group.row}"
        self.reader.rows[f"page:{code}"] = f"sheet 'survey', row {group.row}"
        page: dict[str, Any] = {"code": code, "title": self.cell(cells, "label")}
        self.texts(page, cells, title="title", hint="intro")
        appearance = self.cell(cells, "appearance")
        if appearance not in ("", "field-list"):
            self.refuse(group.row, "appearance", Message(
                f"appearance {appearance!r} is not supported on a page group (field-list or empty)",
                _("appearance „%(appearance)s“ wird bei einer Seitengruppe nicht unterstützt (field-list oder leer)."),
                appearance=appearance))
        self.no_columns(group.row, cells, ("required", "constraint"), Message("a group", _("einer Gruppe")))
        condition = self.relevant(group.row, cells)
        if condition:
            page["show_if"] = condition
        questions: list[dict[str, Any]] = []
        for number, item in group.items:
            if item.get("type") == "__group__":
                question = self.matrix(item["__group__"])  # type: ignore[arg-type]
            elif self.other_text(number, item, questions):
                continue
            else:
                question = self.question(number, item)
            if question is not None:
                self.reader.rows[f"pages[{index}].questions[{len(questions)}]"] = f"sheet 'survey', row {number}"
                self.reader.rows[f"question:{question['code']}"] = f"sheet 'survey', row {number}"
                questions.append(question)
        page["questions"] = questions
        return page

    def texts(self, target: dict[str, Any], cells: dict[str, str], title: str, hint: str) -> None:
        for column, key in (("label", title), ("hint", hint)):
            if column == "hint" and self.cell(cells, "hint"):
                target[key] = self.cell(cells, "hint")
            english = self.english(cells, column)
            if english:
                target[f"{key}_en"] = english

    def no_columns(self, number: int, cells: dict[str, str], columns: Iterable[str], what: Message) -> None:
        for column in columns:
            if self.cell(cells, column):
                self.refuse(number, column, Message(f"{column} is not supported on {what}",
                                                    _("%(column)s wird bei %(what)s nicht unterstützt."),
                                                    column=column, what=what))

    def select(self, number: int, kind: str) -> tuple[str, list[dict[str, Any]] | None, bool]:
        """(question type, options, or_other) of a select row; options None when the list is missing."""
        parts = kind.split()
        qtype = "single" if parts[0] == "select_one" else "multi"
        or_other = len(parts) == 3 and parts[2] == "or_other"
        if len(parts) < 2 or len(parts) > 3 or (len(parts) == 3 and not or_other):
            self.refuse(number, "type", Message(
                f"{kind!r}: write {parts[0]} followed by the name of a choice list",
                _("„%(kind)s“: Bitte %(type)s und danach den Namen einer Auswahlliste schreiben."), kind=kind,
                type=parts[0]))
            return qtype, None, False
        list_name = parts[1]
        self.choices.used.add(list_name)
        if list_name not in self.choices.lists:
            self.refuse(number, "type", Message(
                f"choice list {list_name!r} is not on the choices sheet",
                _("Die Auswahlliste „%(list)s“ steht nicht im Tabellenblatt „choices“."), list=list_name))
            return qtype, None, or_other
        options = [dict(o) for o in self.choices.lists[list_name]]
        if or_other:
            other = {"code": "other", "label": OTHER_LABEL, "other_text": True}
            if self.langs.english:
                other["label_en"] = OTHER_LABEL_EN
            options.append(other)
        return qtype, options, or_other

    def question(self, number: int, cells: dict[str, str]) -> dict[str, Any] | None:
        kind = self.type_of(cells)
        name = self.cell(cells, "name")
        unsupported = UNSUPPORTED_TYPES.get(kind) or UNSUPPORTED_TYPES.get(kind.split(" ")[0])
        if unsupported:
            self.refuse(number, "type", Message(f"type {kind!r}: {unsupported}", _("Typ „%(kind)s“: %(why)s."),
                                                kind=kind, why=unsupported))
            return None
        if not self.check_name(number, name):
            return None
        question: dict[str, Any] = {"code": name}
        constraint = self.cell(cells, "constraint")
        appearance = self.cell(cells, "appearance")
        if kind.split(" ")[0] in ("select_one", "select_multiple"):
            qtype, options, _other = self.select(number, kind)
            question["type"] = qtype
            if options is None:
                return None
            question["options"] = options
            if constraint and qtype == "multi":
                try:
                    exclusive = exclusive_codes(constraint)
                except ValueError as exc:
                    self.refuse(number, "constraint", exc.args[0])
                else:
                    for code in exclusive:
                        option = next((o for o in options if o["code"] == code), None)
                        if option is None:
                            self.refuse(number, "constraint", Message(
                                f"{code!r} is not a choice of this question",
                                _("„%(code)s“ ist keine Antwortoption dieser Frage."), code=code))
                        else:
                            option["exclusive"] = True
            elif constraint:
                self.refuse(number, "constraint", Message("constraints are not supported on select_one",
                                                          _("Bei select_one werden keine constraints unterstützt.")))
            if appearance:
                self.refuse(number, "appearance", Message(
                    f"appearance {appearance!r} is not supported on a select",
                    _("appearance „%(appearance)s“ wird bei einer Auswahlfrage nicht unterstützt."),
                    appearance=appearance))
        elif kind == "integer":
            question["type"] = "number"
            if constraint:
                try:
                    question.update(number_limits(constraint))
                except ValueError as exc:
                    self.refuse(number, "constraint", exc.args[0])
            if appearance:
                self.refuse(number, "appearance", Message(
                    f"appearance {appearance!r} is not supported on integer",
                    _("appearance „%(appearance)s“ wird bei integer nicht unterstützt."), appearance=appearance))
        elif kind in ("text", "email"):
            question["type"] = "email" if kind == "email" else "text"
            if appearance == "multiline" and kind == "text":
                question["type"] = "textarea"
            elif appearance:
                self.refuse(number, "appearance", Message(
                    f"appearance {appearance!r} is not supported on {kind} (only multiline)",
                    _("appearance „%(appearance)s“ wird bei %(kind)s nicht unterstützt (nur multiline)."),
                    appearance=appearance, kind=kind))
            if constraint:
                self.text_constraint(number, constraint, question)
        elif kind == "date":
            question["type"] = "date"
            self.no_columns(number, cells, ("constraint", "appearance"), Message("date", _("date")))
        elif not kind:
            self.refuse(number, "type", Message("type is empty", _("Der Typ ist leer.")))
            return None
        else:
            self.refuse(number, "type", Message(f"unknown type {kind!r}", _("Unbekannter Typ „%(kind)s“."), kind=kind))
            return None
        question["text"] = self.cell(cells, "label")
        self.texts(question, cells, title="text", hint="help")
        required = _yes(self.cell(cells, "required"))
        if required is None:
            value = self.cell(cells, "required")
            self.refuse(number, "required", Message(f"{value!r}: write yes or leave it empty",
                                                    _("„%(value)s“: Bitte yes schreiben oder leer lassen."),
                                                    value=value))
        elif required:
            question["required"] = True
        condition = self.relevant(number, cells)
        if condition:
            question["show_if"] = condition
        return question

    def text_constraint(self, number: int, constraint: str, question: dict[str, Any]) -> None:
        regex = REGEX_CONSTRAINT.match(constraint)
        if regex:
            if "@" not in regex.group(1):
                self.refuse(number, "constraint", Message("regex() is only supported for e-mail addresses",
                                                          _("regex() wird nur für E-Mail-Adressen unterstützt.")))
            question["type"] = "email"
            return
        match = LENGTH_CONSTRAINT.match(constraint)
        if match is None:
            self.refuse(number, "constraint", Message(
                f"{constraint!r} is not supported on text; only string-length(.) <= N or an e-mail regex()",
                _("„%(constraint)s“ wird bei text nicht unterstützt; nur string-length(.) <= N oder ein regex() "
                  "für E-Mail-Adressen."), constraint=constraint))
            return
        question["max_length"] = int(match.group(2)) - (1 if match.group(1) == "<" else 0)

    def other_text(self, number: int, cells: dict[str, str], questions: list[dict[str, Any]]) -> bool:
        """A text row that is the "other, please specify" field of the select just before it."""
        if not questions or self.type_of(cells) != "text":
            return False
        previous = questions[-1]
        name = self.cell(cells, "name")
        for option in previous.get("options", []) if previous["type"] in ("single", "multi") else []:
            if name != f"{previous['code']}_{option['code']}_text":
                continue
            expected = {f"selected(${{{previous['code']}}}, '{option['code']}')",
                        f"${{{previous['code']}}} = '{option['code']}'"}
            if re.sub(r"\s+", " ", self.cell(cells, "relevant")) in expected and not any(
                    self.cell(cells, c) for c in ("required", "constraint", "appearance")):
                if not self.check_name(number, name):
                    return True
                option["other_text"] = True
                return True
        return False

    def matrix(self, group: _Group) -> dict[str, Any] | None:
        cells = group.cells
        code = self.cell(cells, "name")
        appearance = self.cell(cells, "appearance")
        if appearance not in ("table-list", "field-list"):
            self.refuse(group.row, "appearance", Message(
                "a group inside a page is a matrix question and needs appearance table-list or field-list",
                _("Eine Gruppe innerhalb einer Seite ist eine Matrixfrage und braucht appearance table-list oder "
                  "field-list.")))
            return None
        if not self.check_name(group.row, code):
            return None
        list_names, rows, required = set(), [], set()
        items = list(group.items)
        if items and self.cell(items[0][1], "appearance") == "label":  # ODK's header row of a field-list matrix
            self.names.pop(self.cell(items[0][1], "name"), None)
            items = items[1:]
        for number, item in items:
            kind = self.type_of(item)
            parts = kind.split()
            if item.get("type") == "__group__" or len(parts) != 2 or parts[0] not in ("select_one",):
                self.refuse(number, "type", Message(
                    "a matrix group (a group inside a page) may only hold select_one questions of one choice list",
                    _("Eine Matrixgruppe (eine Gruppe innerhalb einer Seite) darf nur select_one-Fragen einer "
                      "Auswahlliste enthalten.")))
                return None
            list_names.add(parts[1])
            self.no_columns(number, item, ("relevant", "constraint", "hint"),
                            Message("a row of a matrix", _("einer Matrixzeile")))
            if self.cell(item, "appearance") not in ("", "list-nolabel"):
                self.refuse(number, "appearance", Message(
                    "appearance of a matrix row must be empty or list-nolabel",
                    _("appearance einer Matrixzeile muss leer oder list-nolabel sein.")))
            required.add(bool(_yes(self.cell(item, "required"))))
            name = self.cell(item, "name")
            if self.check_name(number, name):
                row = {"code": name, "label": self.cell(item, "label")}
                english = self.english(item, "label")
                if english:
                    row["label_en"] = english
                rows.append(row)
        if len(list_names) != 1:
            self.refuse(group.row, "type", Message(
                "the questions of a matrix group must all use the same choice list",
                _("Die Fragen einer Matrixgruppe müssen alle dieselbe Auswahlliste verwenden.")) if list_names else
                Message("the matrix group has no questions", _("Die Matrixgruppe hat keine Fragen.")))
            return None
        if len(required) > 1:
            self.refuse(group.row, "required", Message(
                "either all rows of a matrix are required or none",
                _("Entweder sind alle Zeilen einer Matrix Pflicht oder keine.")))
        _qtype, options, _other = self.select(group.row, f"select_one {list_names.pop()}")
        if options is None:
            return None
        question: dict[str, Any] = {"code": code, "type": "matrix", "text": self.cell(cells, "label")}
        self.texts(question, cells, title="text", hint="help")
        if required == {True}:
            question["required"] = True
        condition = self.relevant(group.row, cells)
        if condition:
            question["show_if"] = condition
        question["rows"] = rows
        question["options"] = options
        return question
