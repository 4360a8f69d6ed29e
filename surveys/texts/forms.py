"""Staff form "Texte der Befragung": what respondents read around the questions.

Rendered with crispy-forms (Bootstrap 5 pack) in fieldsets (surveys/widgets.py `FieldsetModelForm`).
Django links help texts to their inputs (aria-describedby); `AccessibleErrorsMixin` adds the error
messages to that list so a screen reader reads the reason with the field, and the template shows an
error summary at the top.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from surveys.models import Survey
from surveys.widgets import DateInput, FieldsetModelForm, has_control_characters

TEXT_FIELDS = [
    "title", "title_en", "intro", "intro_en", "estimated_minutes", "closing_text", "closing_text_en",
    "organisers", "contact_email", "privacy_notice", "opens_on", "closes_on", "sender_name",
]


class SurveyTextsForm(FieldsetModelForm):
    """Title, welcome and closing texts, organisers, contact, privacy notice, field period, sender."""

    fieldsets = (
        (_("Titel und Begrüßung"), ("title", "title_en", "intro", "intro_en", "estimated_minutes")),
        (_("Abschluss"), ("closing_text", "closing_text_en")),
        (_("Veranstalter, Kontakt und Datenschutz"), ("organisers", "contact_email", "sender_name",
                                                     "privacy_notice")),
        (_("Feldphase"), ("opens_on", "closes_on")),
    )
    submit_label = _("Speichern")

    estimated_minutes = forms.IntegerField(
        label=_("Geschätzte Dauer in Minuten"), required=False, min_value=1, max_value=600,
        help_text=_("Wird auf der Startseite genannt („etwa 10 Minuten“). Leer lassen, wenn keine Angabe "
                    "gemacht werden soll."),
        error_messages={"min_value": _("Bitte mindestens 1 Minute angeben."),
                        "max_value": _("Bitte höchstens %(limit_value)s Minuten angeben."),
                        "invalid": _("Bitte eine ganze Zahl von Minuten angeben.")},
    )

    class Meta:
        model = Survey
        fields = TEXT_FIELDS
        labels = {
            "title": _("Titel"),
            "title_en": _("Titel (Englisch, optional)"),
            "intro": _("Begrüßungstext"),
            "intro_en": _("Begrüßungstext (Englisch, optional)"),
            "closing_text": _("Abschlusstext"),
            "closing_text_en": _("Abschlusstext (Englisch, optional)"),
            "organisers": _("Veranstalter"),
            "contact_email": _("Kontakt (E-Mail-Adresse)"),
            "privacy_notice": _("Datenschutzhinweis"),
            "opens_on": _("Beginn der Feldphase"),
            "closes_on": _("Ende der Feldphase (letzter Tag)"),
            "sender_name": _("Absendername der E-Mails"),
        }
        help_texts = {
            "title": _("Steht über jeder Seite des Fragebogens und im Betreff der Einladung."),
            "intro": _("Erscheint auf der Startseite, die der persönliche Link öffnet. Absätze durch eine "
                       "Leerzeile trennen."),
            "closing_text": _("Erscheint nach dem Absenden über der Kopie der Antworten."),
            "organisers": _("Wer die Befragung durchführt, z. B. „KGSt (Köln)“; erscheint auf der Startseite "
                            "und als Verantwortliche im Datenschutzhinweis."),
            "contact_email": _("Für Rückfragen der Befragten; erscheint auf jeder Seite und in den E-Mails."),
            "privacy_notice": _("Leer lassen für den eingebauten Hinweis nach Art. 13 DSGVO (Verantwortliche, "
                                "Zweck, Speicherdauer, Rechte), der aus Veranstalter und Kontakt gebildet wird."),
            "opens_on": _("Format TT.MM.JJJJ bzw. JJJJ-MM-TT. Leer lassen, wenn noch offen."),
            "closes_on": _("Wird in Einladungen und Erinnerungen als Frist genannt. Liegt es in der "
                           "Vergangenheit, werden keine E-Mails versendet."),
            "sender_name": _("Name, der bei den Empfängern als Absender erscheint, z. B. „KGSt-Befragungsteam“."),
        }
        widgets = {
            "intro": forms.Textarea(attrs={"rows": 5}),
            "intro_en": forms.Textarea(attrs={"rows": 3}),
            "closing_text": forms.Textarea(attrs={"rows": 3}),
            "closing_text_en": forms.Textarea(attrs={"rows": 3}),
            "privacy_notice": forms.Textarea(attrs={"rows": 6}),
            "opens_on": DateInput(),
            "closes_on": DateInput(),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["title"].error_messages["required"] = _("Bitte geben Sie einen Titel an.")
        for name in ("opens_on", "closes_on"):
            self.fields[name].error_messages["invalid"] = _(
                "Bitte ein Datum wie 30.08.2026 oder 2026-08-30 angeben.")
            self.fields[name].input_formats = ["%Y-%m-%d", "%d.%m.%Y"]

    def clean_sender_name(self) -> str:
        value = self.cleaned_data.get("sender_name", "")
        if has_control_characters(value):  # the display name of every mail's From header
            raise forms.ValidationError(_("Der Absendername darf keine Zeilenumbrüche oder Steuerzeichen enthalten."))
        return value

    def clean(self) -> dict:
        data = super().clean()
        opens_on, closes_on = data.get("opens_on"), data.get("closes_on")
        if opens_on and closes_on and closes_on < opens_on:
            self.add_error("closes_on", _("Das Ende der Feldphase darf nicht vor ihrem Beginn liegen."))
        return data
