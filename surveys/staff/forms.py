"""Forms of the staff area that belong to the survey itself: field period, lifecycle, organisation and logo.

They render like every staff form (surveys/widgets.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from io import BytesIO

from django import forms
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from surveys.models import Survey
from surveys.widgets import DateInput, has_control_characters


def _check_period(opens_on: object, closes_on: object, form: forms.Form) -> None:
    if opens_on and closes_on and closes_on < opens_on:
        form.add_error("closes_on", _("Das Ende der Feldphase darf nicht vor ihrem Beginn liegen."))


class SurveyDatesForm(forms.ModelForm):
    """Field period: first and last day on which members can answer."""

    class Meta:
        model = Survey
        fields = ["opens_on", "closes_on"]
        labels = {"opens_on": _("Beginn der Feldphase"), "closes_on": _("Ende der Feldphase (letzter Tag)")}
        help_texts = {
            "opens_on": _("Format TT.MM.JJJJ bzw. JJJJ-MM-TT. Leer lassen, wenn noch offen."),
            "closes_on": _("Dieses Datum wird in Einladungen und Erinnerungen als Frist genannt."),
        }
        widgets = {"opens_on": DateInput(), "closes_on": DateInput()}

    def clean(self) -> dict:
        data = super().clean()
        _check_period(data.get("opens_on"), data.get("closes_on"), self)
        return data


@dataclass(frozen=True)
class Transition:
    """A lifecycle step the staff can take, with the text shown before confirming it."""

    action: str  # URL segment
    source: tuple[str, ...]
    target: str
    label: str
    explanation: str
    button_class: str = "btn-primary"


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition(
            "oeffnen", (Survey.Status.DRAFT,), Survey.Status.OPEN, _("Befragung öffnen"),
            _("Ab sofort funktionieren die persönlichen Links und Zugangscodes, und Einladungen können "
              "versendet werden. Prüfen Sie vorher den Fragebogen und die Feldphase."),
        ),
        Transition(
            "schliessen", (Survey.Status.OPEN,), Survey.Status.CLOSED, _("Befragung schließen"),
            _("Danach können die Mitglieder keine Antworten mehr eingeben, ändern oder abschicken. "
              "Es werden keine Erinnerungen mehr versendet. Bereits abgeschickte Antworten bleiben erhalten. "
              "Sie können die Befragung später wieder öffnen."),
            "btn-danger",
        ),
        Transition(
            "wieder-oeffnen", (Survey.Status.CLOSED,), Survey.Status.OPEN, _("Befragung wieder öffnen"),
            _("Die Feldphase wird fortgesetzt: Mitglieder, die noch nicht abgeschickt haben, können wieder "
              "antworten. Abgeschickte Antworten bleiben unverändert und schreibgeschützt."),
        ),
    )
}


class TransitionForm(forms.Form):
    """Confirmation of a lifecycle step; reopening after the deadline needs a new deadline."""

    closes_on = forms.DateField(
        label=_("Neues Ende der Feldphase (letzter Tag)"), required=False, widget=DateInput(),
    )

    def __init__(self, *args: object, survey: Survey, transition: Transition, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.survey = survey
        self.transition = transition
        if not self.needs_new_deadline:
            del self.fields["closes_on"]
        else:
            self.fields["closes_on"].required = True
            self.fields["closes_on"].help_text = _(
                "Das bisherige Ende der Feldphase liegt in der Vergangenheit. Bitte ein neues Datum angeben."
            )

    @property
    def needs_new_deadline(self) -> bool:
        deadline = self.survey.closes_on
        return self.transition.target == Survey.Status.OPEN and deadline is not None and (
            deadline < timezone.localdate()
        )

    def clean_closes_on(self) -> object:
        value = self.cleaned_data.get("closes_on")
        if value and value < timezone.localdate():
            raise forms.ValidationError(_("Das neue Ende der Feldphase darf nicht in der Vergangenheit liegen."))
        if value and self.survey.opens_on and value < self.survey.opens_on:
            raise forms.ValidationError(_("Das Ende der Feldphase darf nicht vor ihrem Beginn liegen."))
        return value


LOGO_MAX_BYTES = 1024 * 1024
LOGO_MAX_PIXELS = 4000
LOGO_HEIGHT = 160  # stored at twice the displayed 3 rem, sharp on high-density screens


class SurveyBrandingForm(forms.ModelForm):
    """Organisation name and logo. The upload must be a PNG or JPEG that Pillow can decode; it is
    re-encoded as a fresh PNG, so metadata, scripts in polyglot files and odd sizes go away."""

    logo_upload = forms.FileField(
        label=_("Logo (PNG oder JPEG, höchstens 1 MB)"), required=False,
        help_text=_("Wird auf jeder Seite des Fragebogens und in den E-Mails gezeigt."),
    )
    remove_logo = forms.BooleanField(label=_("Logo entfernen"), required=False)

    class Meta:
        model = Survey
        fields = ["organisation_name"]
        labels = {"organisation_name": _("Name der Organisation")}
        help_texts = {"organisation_name": _("Zum Beispiel „KGSt – Kommunale Gemeinschaftsstelle für "
                                             "Verwaltungsmanagement“; erscheint neben dem Logo.")}

    def clean_organisation_name(self) -> str:
        value = self.cleaned_data.get("organisation_name", "")
        if has_control_characters(value):  # it may become a mail header's display name
            raise forms.ValidationError(_("Der Name darf keine Zeilenumbrüche oder Steuerzeichen enthalten."))
        return value

    def clean_logo_upload(self) -> bytes | None:
        upload = self.cleaned_data.get("logo_upload")
        if not upload:
            return None
        if upload.size > LOGO_MAX_BYTES:
            raise forms.ValidationError(_("Die Datei ist größer als 1 MB. Bitte verkleinern Sie das Bild."))
        # Imported on use: Pillow's import (tens of milliseconds) would otherwise delay every web process's start.
        from PIL import Image, UnidentifiedImageError

        try:
            data = upload.read()
            with Image.open(BytesIO(data)) as probe:
                kind = probe.format
                probe.verify()
            if kind not in ("PNG", "JPEG"):
                raise forms.ValidationError(_("Bitte laden Sie ein Bild im Format PNG oder JPEG hoch."))
            with Image.open(BytesIO(data)) as image:
                if max(image.size) > LOGO_MAX_PIXELS:
                    raise forms.ValidationError(
                        _("Das Bild ist größer als %(n)s × %(n)s Pixel.") % {"n": LOGO_MAX_PIXELS})
                image = image.convert("RGBA")
                if image.height > LOGO_HEIGHT:
                    image = image.resize((max(1, round(image.width * LOGO_HEIGHT / image.height)), LOGO_HEIGHT))
                out = BytesIO()
                image.save(out, format="PNG", optimize=True)
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
            raise forms.ValidationError(_("Die Datei ist kein lesbares Bild. Bitte laden Sie eine PNG- oder "
                                          "JPEG-Datei hoch.")) from None
        return out.getvalue()

    def save(self, commit: bool = True) -> Survey:
        survey = super().save(commit=False)
        png = self.cleaned_data.get("logo_upload")
        if self.cleaned_data.get("remove_logo") or png:
            if survey.logo:
                survey.logo.delete(save=False)
        if png:
            name = f"{survey.slug}-{hashlib.sha256(png).hexdigest()[:12]}.png"
            survey.logo.save(name, ContentFile(png), save=False)
        survey.save()
        return survey
