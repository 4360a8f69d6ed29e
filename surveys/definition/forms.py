"""Staff forms for creating surveys: a new empty survey, a new wave of a survey, a definition upload.

Rendered with django-crispy-forms (bootstrap5 pack); the error summary above each form is
staff/_form_errors.html, so every error is listed once at the top and again at its field.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from surveys.models import Survey
from surveys.widgets import CrispyStaffForm, DateInput

from .read import MAX_FILE_BYTES

DEFINITION_EXTENSIONS = (".yaml", ".yml", ".json", ".xlsx")
SLUG_HELP = _("Kurze Kennung für Adressen und Dateinamen: Kleinbuchstaben, Ziffern und Bindestriche, "
              "z. B. kgst-social-media-2025. Sie kann später nicht geändert werden.")
_SLUG_RE = re.compile(r"[a-z0-9][a-z0-9-]*\Z")


def _clean_slug(value: str) -> str:
    value = value.strip()
    if not _SLUG_RE.match(value):
        raise forms.ValidationError(_("Bitte nur Kleinbuchstaben (a–z), Ziffern und Bindestriche verwenden; "
                                      "am Anfang ein Buchstabe oder eine Ziffer."))
    if Survey.objects.filter(slug=value).exists():
        raise forms.ValidationError(_("Eine Befragung mit dieser Kennung gibt es bereits."))
    return value


class NewSurveyForm(CrispyStaffForm, forms.Form):
    title = forms.CharField(label=_("Titel der Befragung"), max_length=300)
    slug = forms.CharField(label=_("Kennung"), max_length=100, help_text=SLUG_HELP)

    def clean_slug(self) -> str:
        return _clean_slug(self.cleaned_data["slug"])


def _next_year(text: str) -> str:
    """kgst-2013 → kgst-2014: the usual name of the next wave, as a suggestion."""
    return re.sub(r"(\d{4})(?!.*\d{4})", lambda m: str(int(m.group(1)) + 1), text, count=1)


class NewWaveForm(CrispyStaffForm, forms.Form):
    title = forms.CharField(label=_("Titel der neuen Welle"), max_length=300)
    slug = forms.CharField(label=_("Kennung der neuen Welle"), max_length=100, help_text=SLUG_HELP)
    opens_on = forms.DateField(label=_("Beginn der Feldphase"), required=False, widget=DateInput(),
                               help_text=_("Leer lassen, wenn noch offen."))
    closes_on = forms.DateField(label=_("Ende der Feldphase (letzter Tag)"), required=False, widget=DateInput(),
                                help_text=_("Leer lassen, wenn noch offen."))

    def __init__(self, *args: Any, source: Survey, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"title": _next_year(source.title), "slug": _next_year(source.slug)})
        super().__init__(*args, **kwargs)

    def clean_slug(self) -> str:
        return _clean_slug(self.cleaned_data["slug"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("opens_on") and data.get("closes_on") and data["closes_on"] < data["opens_on"]:
            self.add_error("closes_on", _("Das Ende der Feldphase darf nicht vor ihrem Beginn liegen."))
        return data


class DefinitionUploadForm(CrispyStaffForm, forms.Form):
    file = forms.FileField(
        label=_("Fragebogen-Datei (YAML, JSON oder XLSForm)"),
        help_text=_("Eine Definition im Format von load_survey (.yaml, .yml, .json) oder ein XLSForm aus Excel, "
                    "ODK oder KoboToolbox (.xlsx)."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ",".join(DEFINITION_EXTENSIONS)

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        if upload.size is not None and upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(_("Die Datei ist zu groß (%(size)s). Erlaubt sind höchstens %(limit)s.")
                                        % {"size": filesizeformat(upload.size),
                                           "limit": filesizeformat(MAX_FILE_BYTES)})
        if not (upload.name or "").lower().endswith(DEFINITION_EXTENSIONS):
            raise forms.ValidationError(_("Bitte eine Datei mit der Endung .yaml, .yml, .json oder .xlsx hochladen."))
        return upload

    def read(self) -> bytes:
        upload: UploadedFile = self.cleaned_data["file"]
        upload.seek(0)
        return upload.read(MAX_FILE_BYTES + 1)
