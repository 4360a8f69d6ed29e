"""Forms of the questionnaire editor: a page, a question, and the question's options and matrix rows.

The forms check what can be checked on the form itself (code format, the fields a type takes, limits);
whatever needs the whole questionnaire — unique codes, conditions, the rules once answers exist — is
checked by checks.py on the questionnaire as it would be after the change.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from surveys import conditions
from surveys.definition.canonical import CHOICE_TYPES
from surveys.models import Page, Question
from surveys.widgets import CrispyStaffForm, PlainSelect

CODE_PATTERN = r"^[A-Za-z][A-Za-z0-9_]*\Z"  # surveys/schema.json $defs.code
OPTION_CODE_PATTERN = r"^[A-Za-z0-9_]+\Z"  # surveys/schema.json $defs.option.code
TEXT_TYPES = ("text", "textarea")

code_validator = RegexValidator(CODE_PATTERN, _("Ein Code beginnt mit einem Buchstaben und enthält nur Buchstaben "
                                                "(ohne Umlaute), Ziffern und Unterstriche, z. B. B1_nutzung."))
option_code_validator = RegexValidator(OPTION_CODE_PATTERN, _("Ein Optionscode enthält nur Buchstaben (ohne "
                                                              "Umlaute), Ziffern und Unterstriche, z. B. 1 oder 99."))


def _condition_field(help_text: Any, check: str) -> forms.CharField:
    """`check`: the kind of the live check (static/js/editor-checks.js) for the page's or question's condition."""
    return forms.CharField(
        label=_("Bedingung (anzeigen, wenn …)"), required=False, max_length=conditions.MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false", "autocapitalize": "off", "data-check": check}),
        help_text=help_text,
    )


def _code_input(check: str) -> forms.TextInput:
    return forms.TextInput(attrs={"data-check": check, "spellcheck": "false", "autocapitalize": "off"})


def check_syntax(expr: str) -> str:
    """The parser's verdict on the expression alone (references are checked with the whole questionnaire)."""
    expr = expr.strip()
    if expr:
        try:
            conditions.parse(expr)
        except conditions.ConditionError as exc:
            raise forms.ValidationError(
                _("Die Bedingung ist an Position %(position)s nicht lesbar: %(detail)s"),
                params={"position": exc.position + 1, "detail": exc.message},
            )
    return expr


class PageSettingsForm(CrispyStaffForm, forms.Form):
    """A page's own settings (code, title, introduction, condition); its questions have their own forms."""

    code = forms.CharField(label=_("Code der Seite"), max_length=50, validators=[code_validator],
                           widget=_code_input("seite"),
                           help_text=_("Kurzer, stabiler Bezeichner, z. B. P3. Erscheint in Adressen."))
    title = forms.CharField(label=_("Titel"), max_length=300)
    title_en = forms.CharField(label=_("Titel auf Englisch (optional)"), max_length=300, required=False)
    intro = forms.CharField(label=_("Einleitungstext (optional)"), required=False,
                            widget=forms.Textarea(attrs={"rows": 3}))
    intro_en = forms.CharField(label=_("Einleitungstext auf Englisch (optional)"), required=False,
                               widget=forms.Textarea(attrs={"rows": 3}))
    condition = _condition_field(_("Leer lassen, wenn die Seite immer gezeigt wird. Beispiel: B2_zweck contains 1 — "
                                   "nur Fragen früherer Seiten."), "seitenbedingung")

    @classmethod
    def initial_for(cls, page: Page) -> dict[str, Any]:
        return {name: getattr(page, name) for name in ("code", "title", "title_en", "intro", "intro_en", "condition")}

    def clean_condition(self) -> str:
        return check_syntax(self.cleaned_data["condition"])


class QuestionTypeForm(CrispyStaffForm, forms.Form):
    typ = forms.ChoiceField(label=_("Fragetyp"), choices=Question.Type.choices)


class QuestionForm(CrispyStaffForm, forms.Form):
    """The fields every question has, plus those of its type; `qtype` decides which are shown."""

    code = forms.CharField(label=_("Code (Variablenname)"), max_length=50, validators=[code_validator],
                           widget=_code_input("frage"),
                           help_text=_("Der Name der Variablen in Exporten, z. B. B1_nutzung. Nach den ersten "
                                       "Antworten nicht mehr änderbar."))
    type = forms.ChoiceField(label=_("Fragetyp"), choices=Question.Type.choices,
                             help_text=_("Nach einem Wechsel des Typs bitte die übrigen Angaben prüfen."))
    page = forms.TypedChoiceField(label=_("Seite"), coerce=int, widget=PlainSelect)
    text = forms.CharField(label=_("Fragetext"), widget=forms.Textarea(attrs={"rows": 2}))
    text_en = forms.CharField(label=_("Fragetext auf Englisch (optional)"), required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))
    help_text = forms.CharField(label=_("Hinweis unter der Frage (optional)"), required=False)
    help_text_en = forms.CharField(label=_("Hinweis auf Englisch (optional)"), required=False)
    required = forms.BooleanField(label=_("Pflichtangabe"), required=False)
    condition = _condition_field(_("Leer lassen, wenn die Frage immer gezeigt wird. Beispiel: B1_nutzung = 1 — nur "
                                   "Fragen, die vorher gestellt werden."), "bedingung")
    min_value = forms.IntegerField(label=_("Kleinster erlaubter Wert (optional)"), required=False)
    max_value = forms.IntegerField(label=_("Größter erlaubter Wert (optional)"), required=False)
    max_length = forms.IntegerField(label=_("Höchstzahl der Zeichen (optional)"), required=False, min_value=1,
                                    max_value=100000)

    def __init__(self, *args: Any, qtype: str, pages: list[Page], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.qtype = qtype
        self.fields["page"].choices = [(p.pk, f"{p.code} – {p.title}") for p in pages]
        if qtype != "number":
            del self.fields["min_value"], self.fields["max_value"]
        if qtype not in TEXT_TYPES:
            del self.fields["max_length"]

    @classmethod
    def initial_for(cls, question: Question) -> dict[str, Any]:
        names = ("code", "type", "text", "text_en", "help_text", "help_text_en", "required", "condition",
                 "min_value", "max_value", "max_length")
        return {"page": question.page_id, **{name: getattr(question, name) for name in names}}

    def clean_condition(self) -> str:
        return check_syntax(self.cleaned_data["condition"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        low, high = data.get("min_value"), data.get("max_value")
        if low is not None and high is not None and low > high:
            self.add_error("max_value", _("Der größte Wert darf nicht kleiner als der kleinste sein."))
        return data

    def qdef(self, options: list[dict[str, Any]], rows: list[dict[str, Any]]) -> dict[str, Any]:
        """The question as a definition dict (the shape load_survey reads), with the given options and rows."""
        data = self.cleaned_data
        qtype = data["type"]
        qdef: dict[str, Any] = {"code": data["code"], "type": qtype, "text": data["text"].strip()}
        for key, name in (("text_en", "text_en"), ("help", "help_text"), ("help_en", "help_text_en"),
                          ("show_if", "condition")):
            if data.get(name, "").strip():
                qdef[key] = data[name].strip()
        if data.get("required"):
            qdef["required"] = True
        if qtype in CHOICE_TYPES:
            qdef["options"] = [{k: v for k, v in o.items()
                                if k in ("code", "label") or (v and _option_key_fits(k, qtype))} for o in options]
        if qtype == "matrix":
            qdef["rows"] = rows
        for key, name in (("min", "min_value"), ("max", "max_value"), ("max_length", "max_length")):
            if data.get(name) is not None and name in self.fields and qtype == self.qtype:
                qdef[key] = data[name]
        return qdef


def _option_key_fits(key: str, qtype: str) -> bool:
    return key == "label_en" or (key == "exclusive" and qtype == "multi") or (
        key == "other_text" and qtype in ("single", "multi"))


class OptionForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=20, validators=[option_code_validator])
    label = forms.CharField(label=_("Beschriftung"), max_length=500)
    label_en = forms.CharField(label=_("Beschriftung auf Englisch"), max_length=500, required=False)
    exclusive = forms.BooleanField(label=_("Exklusiv"), required=False)
    other_text = forms.BooleanField(label=_("Freitext"), required=False)

    def __init__(self, *args: Any, qtype: str = "single", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if qtype != "multi":
            del self.fields["exclusive"]
        if qtype not in ("single", "multi"):
            del self.fields["other_text"]


class RowForm(forms.Form):
    code = forms.CharField(label=_("Code (Variablenname)"), max_length=50, validators=[code_validator])
    label = forms.CharField(label=_("Beschriftung"), max_length=500)
    label_en = forms.CharField(label=_("Beschriftung auf Englisch"), max_length=500, required=False)


class ItemFormSet(forms.BaseFormSet):
    """Options or rows: codes unique within the question, blank extra lines ignored, order by the
    "Reihenfolge" column (ORDER), ticked "Löschen" lines left out."""

    noun: Any = _("Option")

    def clean(self) -> None:
        if any(self.errors):
            return
        seen: set[str] = set()
        for form in self.forms:
            code = form.cleaned_data.get("code") if form.has_changed() else None
            if not code or self._should_delete_form(form):
                continue
            if code in seen:
                form.add_error("code", _("Der Code „%(code)s“ kommt in dieser Frage zweimal vor.") % {"code": code})
            seen.add(code)

    def items(self) -> list[dict[str, Any]]:
        return [{k: v for k, v in form.cleaned_data.items() if k not in ("ORDER", "DELETE")}
                for form in self.ordered_forms]


OptionFormSet = forms.formset_factory(OptionForm, formset=ItemFormSet, can_order=True, can_delete=True, extra=0)
RowFormSet = forms.formset_factory(RowForm, formset=ItemFormSet, can_order=True, can_delete=True, extra=0)


def item_formset(cls: type[ItemFormSet], data: Any, initial: list[dict[str, Any]], prefix: str, extra: int,
                 qtype: str) -> ItemFormSet:
    """A bound (data) or unbound options/rows formset with `extra` blank lines for new items."""
    formset = cls(data, initial=initial, prefix=prefix, form_kwargs={"qtype": qtype} if cls is OptionFormSet else {})
    if data is None:
        formset.extra = extra
    return formset
