"""Staff forms of the member register: the upload and the confirmation of a checked file."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

REGISTER_EXTENSIONS = (".csv", ".txt", ".xlsx")
XLSX_MAGIC = b"PK\x03\x04"


def max_upload_bytes() -> int:
    return int(settings.REGISTER_UPLOAD_MAX_BYTES)


class RegisterUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Registerdatei (CSV oder Excel)"),
        help_text=_("CSV mit Semikolon oder Komma (UTF-8, wie Excel „CSV UTF-8“ speichert) oder Excel-Arbeitsmappe "
                    "(.xlsx). Spalten: ags;name;land;typ;einwohner;email;ansprechpartner"),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ".csv,.txt,.xlsx,text/csv,application/vnd.openxmlformats-" \
                                                     "officedocument.spreadsheetml.sheet"

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        limit = max_upload_bytes()
        if upload.size is not None and upload.size > limit:
            raise forms.ValidationError(
                _("Die Datei ist zu groß (%(size)s). Erlaubt sind höchstens %(limit)s.")
                % {"size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
            )
        name = (upload.name or "").lower()
        if not name.endswith(REGISTER_EXTENSIONS):
            raise forms.ValidationError(
                _("Bitte eine CSV-Datei (.csv) oder eine Excel-Arbeitsmappe (.xlsx) hochladen. "
                  "Ältere Excel-Dateien (.xls) bitte vorher als .xlsx oder „CSV UTF-8“ speichern.")
            )
        upload.seek(0)
        head = upload.read(8)
        upload.seek(0)
        if name.endswith(".xlsx") and not head.startswith(XLSX_MAGIC):
            raise forms.ValidationError(_("Die Datei endet auf .xlsx, ist aber keine Excel-Arbeitsmappe."))
        if not name.endswith(".xlsx") and head.startswith(XLSX_MAGIC):
            raise forms.ValidationError(
                _("Die Datei ist eine Excel-Arbeitsmappe, heißt aber nicht .xlsx. Bitte umbenennen.")
            )
        return upload

    def read(self) -> bytes:
        """The uploaded bytes (call after is_valid())."""
        upload: UploadedFile = self.cleaned_data["file"]
        upload.seek(0)
        return upload.read(max_upload_bytes() + 1)


class RegisterConfirmForm(forms.Form):
    skip_invalid = forms.BooleanField(
        label=_("Fehlerhafte Zeilen überspringen und nur die gültigen Zeilen übernehmen"), required=False,
    )
