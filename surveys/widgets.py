"""How staff forms render, in one place for every app's staff forms (surveys is the bottom app, which
every app may import).

Staff forms render with django-crispy-forms and its Bootstrap 5 pack (`{{ form|crispy }}`); Django links
help text and errors to each field with aria-describedby, and the page lists every error in
staff/_form_errors.html.
"""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout, Submit
from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe


class DateInput(forms.DateInput):
    """The browser's date picker: `<input type="date">` needs its value as YYYY-MM-DD, whatever the locale."""

    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class PlainSelect(forms.Select):
    """A <select> built in Python: Django renders every <option> through a template, which for the 100 pages
    of a large survey took longer than the rest of the question form."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> str:
        final = {**self.build_attrs(self.attrs, attrs), "name": name}
        chosen = {str(v) for v in (value if isinstance(value, list | tuple) else [value])}
        options = format_html_join("", "<option value=\"{}\"{}>{}</option>", (
            (key, mark_safe(" selected") if str(key) in chosen else "", label)  # noqa: S308 - a constant
            for key, label in self.choices))
        return format_html("<select{}>{}</select>", flatatt(final), options)


def tagless_helper() -> FormHelper:
    """Crispy layout without its own <form> tag and CSRF field: the template adds the form, CSRF and buttons."""
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    return helper


class CrispyStaffForm:
    """A staff form rendered by crispy-forms inside the template's own <form> (mix in before forms.Form)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        self.helper = tagless_helper()


class AccessibleErrorsMixin:
    """After validation: every field with an error points at its message (and keeps its help text)."""

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        for name in self.errors:  # type: ignore[attr-defined]
            if name not in self.fields:  # type: ignore[attr-defined]
                continue
            bound = self[name]  # type: ignore[index]
            ids = [f"{bound.auto_id}_error"]
            if bound.help_text:
                ids.insert(0, f"{bound.auto_id}_helptext")
            self.fields[name].widget.attrs["aria-describedby"] = " ".join(ids)  # type: ignore[attr-defined]


class FieldsetModelForm(AccessibleErrorsMixin, forms.ModelForm):
    """A staff form of some of the survey's fields, rendered by crispy-forms in `fieldsets` (legend, field
    names) without its own <form> tag; `read_only` shows the values to analysts, who may not change them."""

    fieldsets: tuple[tuple[Any, tuple[str, ...]], ...] = ()
    submit_label: Any = None  # a "speichern" button inside the form, or None when the template has its own

    def __init__(self, *args: Any, read_only: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if read_only:
            for field in self.fields.values():
                field.disabled = True
        self.helper = tagless_helper()
        self.helper.layout = Layout(*(Fieldset(legend, *names) for legend, names in self.fieldsets))
        if self.submit_label is not None and not read_only:
            self.helper.layout.append(Submit("speichern", self.submit_label))


def has_control_characters(value: str) -> bool:
    """A line break or other control character: refused in every text that becomes a mail header."""
    return any(ord(ch) < 32 or ord(ch) == 127 for ch in value)
