"""The form for one questionnaire page, built from its PageDef (see surveys/structure.py).

Field names are the variable codes of the codebook: a single or multiple choice is named
by its question code, a matrix row by its row code, an "other, please specify" text by
`<code>_<option>_text`, every other type by the question code.

Validation happens here and only here, on the server, with plain-German messages:
- values the definition does not allow (unknown option codes, several values for a single
  choice, non-numbers, numbers out of range, over-long text, malformed e-mail or date, an
  exclusive option combined with others) are errors and never part of `page_answers`;
- required answers are only enforced when `enforce_required` is set ("Weiter"), and only
  for questions that are shown;
- a question hidden by the current answers (including answers on this very page, e.g.
  `B2_zweck` after `B1_nutzung = 2`) produces no answer and no error;
- an "other" text is kept only when its option is chosen; unknown POST keys are ignored.

Rendering is done by the templates in surveys/templates/surveys/questions/ from the
`QuestionView` objects in `form.questions` (`QuestionView.html`; no JavaScript, plain HTML
controls).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.datastructures import MultiValueDict
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from surveys import conditions

Answers = dict[str, str | list[str]]

OTHER_TEXT_MAX_LENGTH = 500
DEFAULT_MAX_LENGTH = {"text": 500, "textarea": 10_000, "email": 254}
DATE_INPUT_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y")
CHOICE_TYPES = ("single", "multi", "matrix")
_INTEGER = re.compile(r"[+-]?\d+")
_GROUPED_INTEGER = re.compile(r"[+-]?\d{1,3}(?:[. ']\d{3})+")  # 1.000 / 1 000 / 1'000


def _n(value: int) -> str:
    """A whole number the German way (100.000)."""
    return number_format(value, force_grouping=True)


# ---------------------------------------------------------------------------------------
# Fields: each one reads its raw value(s) from the POST data and cleans them.


class _RawWidget(forms.Widget):
    """Reads every value submitted under a name; rendering is done by our templates."""

    def value_from_datadict(self, data: Mapping[str, Any], files: Any, name: str) -> list[str]:
        if hasattr(data, "getlist"):
            return list(data.getlist(name))
        value = data.get(name)
        if value is None:
            return []
        return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]

    def value_omitted_from_data(self, data: Mapping[str, Any], files: Any, name: str) -> bool:
        return name not in data


def _dedupe(values: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for value in values:
        value = value.strip()
        if value and value not in seen:
            seen.append(value)
    return seen


class SingleChoiceField(forms.Field):
    widget = _RawWidget

    def __init__(self, codes: Iterable[str], **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)
        self.codes = tuple(codes)

    def to_python(self, value: list[str]) -> str:
        values = _dedupe(value or [])
        if len(values) > 1:
            raise ValidationError(_("Bitte wählen Sie nur eine Antwort."), code="several")
        return values[0] if values else ""

    def validate(self, value: str) -> None:
        if value and value not in self.codes:
            raise ValidationError(_("Bitte wählen Sie eine der angebotenen Antworten."), code="invalid_choice")


class MultipleChoiceField(forms.Field):
    widget = _RawWidget

    def __init__(self, codes: Iterable[str], **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)
        self.codes = tuple(codes)

    def to_python(self, value: list[str]) -> list[str]:
        chosen = _dedupe(value or [])
        if any(code not in self.codes for code in chosen):
            raise ValidationError(_("Bitte wählen Sie nur unter den angebotenen Antworten."), code="invalid_choice")
        return [code for code in self.codes if code in chosen]  # definition order


class _TextField(forms.Field):
    """One text value: trimmed, line breaks normalised, length checked in characters."""

    widget = _RawWidget

    def __init__(self, max_length: int, **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)
        self.max_length = max_length

    def to_python(self, value: list[str]) -> str:
        values = [v for v in (value or []) if v.strip()]
        if len(values) > 1:
            raise ValidationError(_("Bitte geben Sie nur eine Antwort ein."), code="several")
        text = values[0].replace("\r\n", "\n").replace("\r", "\n").strip() if values else ""
        if "\x00" in text:
            raise ValidationError(_("Der Text enthält unzulässige Steuerzeichen."), code="null_characters")
        if len(text) > self.max_length:
            raise ValidationError(
                _("Bitte kürzen Sie Ihre Antwort auf höchstens %(limit)s Zeichen (derzeit %(length)s).")
                % {"limit": _n(self.max_length), "length": _n(len(text))},
                code="max_length",
            )
        return text


class TextField(_TextField):
    pass


class NumberField(_TextField):
    """A whole number within [min_value, max_value]; "1.000" and "1 000" are accepted."""

    def __init__(self, min_value: int | None, max_value: int | None, **kwargs: Any) -> None:
        super().__init__(max_length=40, **kwargs)
        self.min_value, self.max_value = min_value, max_value

    def to_python(self, value: list[str]) -> str:
        try:
            text = super().to_python(value)
        except ValidationError as error:
            if error.code == "max_length":
                raise ValidationError(_("Bitte geben Sie eine ganze Zahl ein, z. B. 250."), code="invalid")
            raise
        if not text:
            return ""
        compact = text.replace("\u00a0", " ")
        if _GROUPED_INTEGER.fullmatch(compact):
            compact = re.sub(r"[. ']", "", compact)
        if not _INTEGER.fullmatch(compact):
            raise ValidationError(_("Bitte geben Sie eine ganze Zahl ein (nur Ziffern), z. B. 250."), code="invalid")
        number = int(compact)
        low, high = self.min_value, self.max_value
        if (low is not None and number < low) or (high is not None and number > high):
            if low is not None and high is not None:
                message = _("Bitte geben Sie eine Zahl von %(min)s bis %(max)s ein.") % {
                    "min": _n(low), "max": _n(high)}
            elif low is not None:
                message = _("Bitte geben Sie eine Zahl ab %(min)s ein.") % {"min": _n(low)}
            else:
                message = _("Bitte geben Sie eine Zahl bis %(max)s ein.") % {"max": _n(high)}
            raise ValidationError(message, code="range")
        return str(number)


class EmailField(_TextField):
    validator = EmailValidator()

    def to_python(self, value: list[str]) -> str:
        text = super().to_python(value)
        if text:
            try:
                self.validator(text)
            except ValidationError:
                raise ValidationError(
                    _("Bitte geben Sie eine gültige E-Mail-Adresse an, z. B. name@kommune.de."), code="invalid"
                )
        return text


class DateField(_TextField):
    """A date as YYYY-MM-DD (what <input type="date"> sends) or TT.MM.JJJJ; stored as YYYY-MM-DD."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=40, **kwargs)

    def to_python(self, value: list[str]) -> str:
        text = super().to_python(value)
        if not text:
            return ""
        for fmt in DATE_INPUT_FORMATS:
            try:
                return datetime.strptime(text, fmt).date().isoformat()
            except ValueError:
                continue
        raise ValidationError(_("Bitte geben Sie ein gültiges Datum an, z. B. 31.08.2013."), code="invalid")


# ---------------------------------------------------------------------------------------
# View objects for the templates.


@dataclass
class OptionView:
    code: str
    label: str
    exclusive: bool
    has_text: bool
    input_id: str
    checked: bool = False
    text_name: str = ""
    text_id: str = ""
    text_value: str = ""
    text_error: str = ""


@dataclass
class RowView:
    code: str
    label: str
    header_id: str
    cells: list[OptionView]
    error: str = ""


@dataclass
class QuestionView:
    question: Any  # QuestionDef
    template: str
    first_id: str
    errors: list[str] = field(default_factory=list)
    value: str = ""
    options: list[OptionView] = field(default_factory=list)
    rows: list[RowView] = field(default_factory=list)
    condition_hint: str = ""  # shown when the question depends on another answer on this page
    # For static/js/conditions.js: the condition as data and the answers from other pages it reads.
    condition_data: dict | None = None
    condition_context: dict = field(default_factory=dict)
    # ' lang="de"' on the question's texts when they are German in another interface language (screen
    # readers switch voice); decided once here instead of in every option and matrix cell of the template
    lang_attr: str = ""

    @property
    def code(self) -> str:
        return self.question.code

    @property
    def html(self) -> str:
        """The question's fieldset in the active language (survey texts are marked German)."""
        return render_to_string(self.template, {"q": self})

    @property
    def condition_attrs(self) -> str:
        """data-* attributes that let the page script show and hide this question as the respondent answers."""
        if self.condition_data is None:
            return ""
        return format_html(' data-show-if="{}" data-show-context="{}"',
            json.dumps(self.condition_data, separators=(",", ":")),
            json.dumps(self.condition_context, separators=(",", ":")),
        )

    @property
    def error_id(self) -> str:
        return f"err-{self.code}"

    @property
    def help_id(self) -> str:
        return f"help-{self.code}"

    @property
    def describedby(self) -> str:
        ids = []
        if self.question.help_text:
            ids.append(self.help_id)
        if self.condition_hint:
            ids.append(f"cond-{self.code}")
        if self.errors:
            ids.append(self.error_id)
        return " ".join(ids)

    @property
    def max_length(self) -> int:
        return self.question.max_length or DEFAULT_MAX_LENGTH.get(self.question.type, 500)

    @property
    def max_length_display(self) -> str:
        return _n(self.max_length)


@dataclass
class ErrorLink:
    question_code: str
    label: str
    message: str
    target_id: str


# ---------------------------------------------------------------------------------------
# Helpers over the answers mapping.


def answers_to_data(answers: Mapping[str, str | list[str]]) -> MultiValueDict:
    """The answers mapping as POST-like data, e.g. to re-validate stored answers."""
    data = MultiValueDict()
    for name, value in answers.items():
        data.setlist(name, list(value) if isinstance(value, list) else [value])
    return data


GERMAN = mark_safe(' lang="de"')  # noqa: S308 - a constant


def _input_id(name: str, option: str | None = None) -> str:
    return f"id_{name}" if option is None else f"id_{name}_{option}"


# ---------------------------------------------------------------------------------------


class PageForm(forms.Form):
    """Validates one page of answers; see the module docstring for the rules.

    `context` is the respondent's stored answers (all pages); conditions that refer to other
    pages are evaluated on it, conditions that refer to this page on the submitted values.
    After `is_valid()`: `page_answers` (what may be stored), `invalid_questions` (codes whose
    input was rejected; keep their previous answer), `error_links` (for the summary).
    """

    def __init__(
        self,
        structure: Any,
        page: Any,
        context: Mapping[str, str | list[str]],
        data: Mapping[str, Any] | None = None,
        *,
        enforce_required: bool = True,
    ) -> None:
        super().__init__(data=data)
        self.structure = structure
        self.page = page
        self.context = dict(context)
        self.enforce_required = enforce_required
        self.page_answers: Answers = {}
        self.invalid_questions: set[str] = set()
        self.question_errors: dict[str, list[str]] = {}
        self.row_errors: dict[str, str] = {}
        own_vars = {name for q in page.questions for name in q.variables}
        self._own_vars = own_vars
        self._same_page_deps = {
            q.code: q.condition_variables & own_vars for q in page.questions if q.condition_variables & own_vars
        }
        for question in page.questions:
            self._add_fields(question)

    # -- building --------------------------------------------------------------------

    def _add_fields(self, q: Any) -> None:
        codes = [option.code for option in q.options]
        if q.type == "single":
            self.fields[q.code] = SingleChoiceField(codes)
        elif q.type == "multi":
            self.fields[q.code] = MultipleChoiceField(codes)
        elif q.type == "matrix":
            for row in q.rows:
                self.fields[row.code] = SingleChoiceField(codes)
        elif q.type == "number":
            self.fields[q.code] = NumberField(q.min_value, q.max_value)
        elif q.type == "email":
            self.fields[q.code] = EmailField(max_length=q.max_length or DEFAULT_MAX_LENGTH["email"])
        elif q.type == "date":
            self.fields[q.code] = DateField()
        else:  # text, textarea
            self.fields[q.code] = TextField(max_length=q.max_length or DEFAULT_MAX_LENGTH.get(q.type, 500))
        for option in q.options:
            if option.has_text:
                self.fields[option.text_variable] = TextField(max_length=OTHER_TEXT_MAX_LENGTH)

    # -- visibility ------------------------------------------------------------------

    def _base_answers(self) -> Answers:
        """Stored answers of all other pages (this page's variables removed)."""
        return {k: v for k, v in self.context.items() if k not in self._own_vars}

    def _shown_codes(self, answers: Mapping[str, Any]) -> set[str]:
        page_code = self.page.code
        return {q.code for q in self.structure.shown_questions(answers) if q.page_code == page_code}

    def _earlier_answers(self) -> Answers:
        """Answers of other pages as the conditions see them (only those of shown questions)."""
        if not hasattr(self, "_earlier"):
            self._earlier = self.structure.effective_answers(self._base_answers())
        return self._earlier

    def rendered_questions(self, answers: Mapping[str, Any] | None = None) -> list[Any]:
        """Questions to put on the page: those shown, plus those whose condition depends on
        another question of this page (no JavaScript: the respondent sees a hint instead)."""
        shown = self._shown_codes(self.context if answers is None else answers)
        return [q for q in self.page.questions if q.code in self._same_page_deps or q.code in shown]

    # -- validation ------------------------------------------------------------------

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        valid = {name: value for name, value in cleaned.items() if value not in ("", [], None)}
        answers = self._base_answers()
        answers.update(valid)
        shown_codes = self._shown_codes(answers)
        for q in self.page.questions:
            if q.code not in shown_codes:
                for name in q.variables:
                    self._errors.pop(name, None)
                continue
            self._check_question(q, cleaned)
        return cleaned

    def _check_question(self, q: Any, cleaned: dict[str, Any]) -> None:
        errors: list[str] = []
        names = q.variables
        for name in names:
            for error in self._errors.get(name, []):
                if q.type == "matrix" and name != q.code and name in {row.code for row in q.rows}:
                    label = next(row.label for row in q.rows if row.code == name)
                    self.row_errors[name] = error
                    errors.append(_("Zeile „%(row)s“: %(error)s") % {"row": label, "error": error})
                elif name != q.code and name.endswith("_text"):
                    errors.append(_("Angabe „bitte nennen“: %(error)s") % {"error": error})
                else:
                    errors.append(error)
        if errors:
            self.invalid_questions.add(q.code)
        value = cleaned.get(q.code)
        if q.type == "multi" and value and not errors:
            exclusive = [o for o in q.options if o.exclusive and o.code in value]
            if exclusive and len(value) > 1:
                errors.append(
                    _("„%(option)s“ kann nicht zusammen mit anderen Antworten gewählt werden.")
                    % {"option": exclusive[0].label}
                )
                self.invalid_questions.add(q.code)
        if not errors:
            answer = self._answer_of(q, cleaned)
            if self.enforce_required and q.required and not self._complete(q, answer):
                errors.append(self._required_message(q, answer))
            self.page_answers.update(answer)
        if errors:
            self.question_errors[q.code] = errors

    def _answer_of(self, q: Any, cleaned: dict[str, Any]) -> Answers:
        answer: Answers = {}
        if q.type == "matrix":
            for row in q.rows:
                if cleaned.get(row.code):
                    answer[row.code] = cleaned[row.code]
        elif cleaned.get(q.code):
            answer[q.code] = cleaned[q.code]
        chosen = answer.get(q.code) or []
        chosen = [chosen] if isinstance(chosen, str) else chosen
        for option in q.options:
            if option.has_text and option.code in chosen and cleaned.get(option.text_variable):
                answer[option.text_variable] = cleaned[option.text_variable]
        return answer

    @staticmethod
    def _complete(q: Any, answer: Answers) -> bool:
        if q.type == "matrix":
            return all(answer.get(row.code) for row in q.rows)
        return bool(answer.get(q.code))

    @staticmethod
    def _required_message(q: Any, answer: Answers) -> str:
        if q.type == "matrix":
            return _("Bitte wählen Sie in jeder Zeile eine Antwort.")
        if q.type == "multi":
            return _("Bitte wählen Sie mindestens eine Antwort.")
        if q.type == "single":
            return _("Bitte wählen Sie eine Antwort.")
        if q.type == "email":
            return _("Bitte geben Sie eine E-Mail-Adresse an.")
        return _("Bitte beantworten Sie diese Frage.")

    def is_valid(self) -> bool:
        return super().is_valid() and not self.question_errors

    # -- rendering -------------------------------------------------------------------

    def _raw(self, name: str) -> list[str]:
        if self.is_bound:
            return [str(v) for v in self.fields[name].widget.value_from_datadict(self.data, None, name)]
        value = self.context.get(name)
        if value is None:
            return []
        return list(value) if isinstance(value, list) else [value]

    @property
    def questions(self) -> list[QuestionView]:
        if not hasattr(self, "_question_views"):
            answers = self.context
            if self.is_bound:
                answers = self._base_answers()
                answers.update({k: v for k, v in (getattr(self, "cleaned_data", None) or {}).items() if v})
            self._question_views = [self._view(q) for q in self.rendered_questions(answers)]
        return self._question_views

    def _view(self, q: Any) -> QuestionView:
        template = f"surveys/questions/{q.type if q.type in TEMPLATES else 'text'}.html"
        view = QuestionView(question=q, template=template, first_id=_input_id(q.code),
                            errors=list(self.question_errors.get(q.code, [])),
                            lang_attr=GERMAN if q.lang == "de" and translation.get_language() != "de" else "")
        if q.code in self._same_page_deps:
            view.condition_hint = condition_hint(q, self.page)
            view.condition_data = conditions.to_data(q.condition_node)
            earlier = self._earlier_answers()
            view.condition_context = {
                name: earlier[name] for name in set(q.condition_variables) - self._own_vars if name in earlier}
        if q.type == "matrix":
            view.rows = [self._row_view(q, row) for row in q.rows]
            view.first_id = view.rows[0].cells[0].input_id if view.rows and view.rows[0].cells else view.first_id
        elif q.type in ("single", "multi"):
            chosen = set(self._raw(q.code))
            view.options = [self._option_view(q.code, option, option.code in chosen) for option in q.options]
            if view.options:
                view.first_id = view.options[0].input_id
        else:
            raw = self._raw(q.code)
            view.value = raw[0] if raw else ""
        return view

    def _option_view(self, name: str, option: Any, checked: bool) -> OptionView:
        view = OptionView(code=option.code, label=option.label, exclusive=option.exclusive,
                          has_text=option.has_text, input_id=_input_id(name, option.code), checked=checked)
        if option.has_text:
            view.text_name = option.text_variable
            view.text_id = _input_id(option.text_variable)
            raw = self._raw(option.text_variable)
            view.text_value = raw[0] if raw else ""
            text_errors = self._errors.get(option.text_variable) if self.is_bound and self._errors else None
            view.text_error = text_errors[0] if text_errors else ""
        return view

    def _row_view(self, q: Any, row: Any) -> RowView:
        chosen = set(self._raw(row.code))
        cells = [self._option_view(row.code, option, option.code in chosen) for option in q.options]
        return RowView(code=row.code, label=row.label, header_id=f"row-{row.code}", cells=cells,
                       error=self.row_errors.get(row.code, ""))

    @property
    def error_links(self) -> list[ErrorLink]:
        links = []
        for view in self.questions:
            for message in view.errors:
                links.append(ErrorLink(view.code, view.question.text, message, view.first_id))
        return links


def condition_hint(question: Any, page: Any) -> str:
    """Plain words for a condition on another answer of the same page (no JavaScript to hide it)."""
    node = question.condition_node
    others = {name: q for q in page.questions if q.code != question.code for name in q.variables}
    values: tuple = ()
    if isinstance(node, conditions.Compare) and node.op == "=":
        values = (node.value,)
    elif isinstance(node, conditions.Contains):
        values = (node.value,)
    elif isinstance(node, conditions.In):
        values = node.values
    if values and node.var.name in others:
        other = others[node.var.name]
        labels = {o.code: o.label for o in other.options}
        if all(v.value in labels for v in values):
            chosen = _(" oder ").join(f"„{labels[v.value]}“" for v in values)
            message = (_("Bitte beantworten Sie diese Frage, wenn Sie bei „%(question)s“ %(answer)s gewählt haben.")
                       if question.required else
                       _("Diese Frage gilt nur, wenn Sie bei „%(question)s“ %(answer)s gewählt haben."))
            return message % {"question": other.text, "answer": chosen}
    texts = [q.text for q in page.questions if q.code != question.code
             and set(q.variables) & question.condition_variables]
    message = (_("Bitte beantworten Sie diese Frage, wenn sie nach Ihrer Antwort auf „%(question)s“ für Sie gilt.")
               if question.required else
               _("Diese Frage gilt nur, wenn sie nach Ihrer Antwort auf „%(question)s“ für Sie gilt."))
    return message % {"question": "“, „".join(texts)}


TEMPLATES = ("single", "multi", "matrix", "number", "text", "textarea", "email", "date")


def display_value(question: Any, answers: Mapping[str, Any]) -> list[str]:
    """Human-readable answer lines for the review page and the receipt (labels, not codes)."""
    labels = {option.code: option.label for option in question.options}
    texts = {option.code: answers.get(option.text_variable, "") for option in question.options if option.has_text}

    def with_text(code: str) -> str:
        label = labels.get(code, code)
        return f"{label}: {texts[code]}" if texts.get(code) else label

    if question.type == "matrix":
        return [f"{row.label}: {labels.get(answers[row.code], answers[row.code])}"
                for row in question.rows if answers.get(row.code)]
    value = answers.get(question.code)
    if not value:
        return []
    if question.type == "multi":
        return [with_text(code) for code in (value if isinstance(value, list) else [value])]
    if question.type == "single":
        return [with_text(value if isinstance(value, str) else value[0])]
    if question.type == "number":
        try:
            return [_n(int(value))]
        except (TypeError, ValueError):
            return [str(value)]
    if question.type == "date":
        try:
            return [date.fromisoformat(value).strftime("%d.%m.%Y")]
        except (TypeError, ValueError):
            return [str(value)]
    return [str(value)]

