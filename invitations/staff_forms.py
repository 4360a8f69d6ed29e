"""Staff forms of the invitations app: register upload and confirmation, bounce report, reminder plan."""

from __future__ import annotations

import datetime
import re

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Member

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


class BounceForm(forms.Form):
    fallback_email = forms.EmailField(
        label=_("Ersatzadresse"), required=False, max_length=254,
        help_text=_("Optional. Künftige E-Mails zu allen Befragungen gehen an diese Adresse. "
                    "Ohne Ersatzadresse gilt das Mitglied als unzustellbar."),
        error_messages={"invalid": _("Bitte eine gültige E-Mail-Adresse angeben, z. B. name@kommune.de.")},
    )

    def __init__(self, *args: object, member: Member, **kwargs: object) -> None:
        self.member = member
        kwargs.setdefault("initial", {"fallback_email": member.fallback_email})
        super().__init__(*args, **kwargs)

    def clean_fallback_email(self) -> str:
        value = (self.cleaned_data.get("fallback_email") or "").strip()
        if value and value.lower() == self.member.email.lower():
            raise forms.ValidationError(
                _("Die Ersatzadresse muss sich von der unzustellbaren Adresse unterscheiden.")
            )
        return value


class ReminderPlanForm(forms.Form):
    """The reminder rounds still to come: days after the invitation and/or fixed dates."""

    MAX_STEPS = 10

    plan = forms.CharField(
        label=_("Erinnerungen"), required=False, max_length=300,
        help_text=_("Tage nach der Einladung und/oder Daten, durch Komma getrennt, z. B. „14, 28“ oder "
                    "„15.12.2026, 5.1.2027“. Leer lassen: keine geplanten Erinnerungen."),
    )

    def clean_plan(self) -> list[int | datetime.date]:
        entries: list[int | datetime.date] = []
        for token in [t for t in re.split(r"[,;\s]+", self.cleaned_data.get("plan") or "") if t]:
            entry = _plan_entry(token)
            if entry not in entries:
                entries.append(entry)
        if len(entries) > self.MAX_STEPS:
            raise forms.ValidationError(_("Höchstens %(n)d geplante Erinnerungen.") % {"n": self.MAX_STEPS})
        return entries


def _plan_entry(token: str) -> int | datetime.date:
    if token.isdigit():
        days = int(token)
        if not 1 <= days <= 365:
            raise forms.ValidationError(_("„%(value)s“: bitte eine Zahl von Tagen zwischen 1 und 365.")
                                        % {"value": token})
        return days
    for pattern in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            day = datetime.datetime.strptime(token, pattern).date()
        except ValueError:
            continue
        if day < timezone.localdate():
            raise forms.ValidationError(_("Das Datum %(value)s liegt in der Vergangenheit.") % {"value": token})
        return day
    raise forms.ValidationError(_("„%(value)s“ ist weder eine Zahl von Tagen noch ein Datum (TT.MM.JJJJ).")
                                % {"value": token})
