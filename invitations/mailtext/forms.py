"""Staff form for the survey's invitation and reminder texts (see texts.py)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from surveys.models import Survey
from surveys.widgets import FieldsetModelForm, has_control_characters

from . import texts

MAIL_FIELDS = ["invitation_subject", "invitation_body", "reminder_subject", "reminder_body"]


class MailTextsForm(FieldsetModelForm):
    fieldsets = (
        (_("Einladung"), ("invitation_subject", "invitation_body")),
        (_("Erinnerung"), ("reminder_subject", "reminder_body")),
    )

    class Meta:
        model = Survey
        fields = MAIL_FIELDS
        labels = {
            "invitation_subject": _("Betreff der Einladung"),
            "invitation_body": _("Text der Einladung"),
            "reminder_subject": _("Betreff der Erinnerung"),
            "reminder_body": _("Text der Erinnerung"),
        }
        help_texts = {
            "invitation_subject": _("Leer lassen für den eingebauten Betreff „Einladung zur Befragung: …“ "
                                    "mit dem Titel der Befragung."),
            "invitation_body": _("Leer lassen für den eingebauten Text. Ein eigener Text muss {link} enthalten."),
            "reminder_subject": _("Leer lassen für den eingebauten Betreff „Erinnerung: …“ "
                                  "mit dem Titel der Befragung."),
            "reminder_body": _("Leer lassen für den eingebauten Text. Ein eigener Text muss {link} enthalten."),
        }
        widgets = {
            "invitation_body": forms.Textarea(attrs={"rows": 12}),
            "reminder_body": forms.Textarea(attrs={"rows": 12}),
        }

    def _check(self, name: str, *, body: bool) -> str:
        value = self.cleaned_data.get(name, "")
        if not body and has_control_characters(value):
            # A subject becomes a mail header: a line break there would stop every mail of the survey.
            raise forms.ValidationError(_("Der Betreff darf keine Zeilenumbrüche oder Steuerzeichen enthalten."))
        if value.strip():
            found = texts.problems(value, require_link=body)
            if found:
                raise forms.ValidationError(found)
        return value

    def clean_invitation_subject(self) -> str:
        return self._check("invitation_subject", body=False)

    def clean_invitation_body(self) -> str:
        return self._check("invitation_body", body=True)

    def clean_reminder_subject(self) -> str:
        return self._check("reminder_subject", body=False)

    def clean_reminder_body(self) -> str:
        return self._check("reminder_body", body=True)
