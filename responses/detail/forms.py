"""The reason for reopening a submitted response."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy


class ReopenForm(forms.Form):
    """Why a submitted response is reopened: required, it goes into the response's history."""

    reason = forms.CharField(
        label=gettext_lazy("Grund"), max_length=1000, strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Zum Beispiel: „Anruf von Frau Muster am 3. Mai: Seite 4 wird korrigiert.“ "
                               "Der Grund steht danach in der Historie dieser Antwort."),
        error_messages={"required": gettext_lazy("Bitte geben Sie einen Grund für das Wiederöffnen an.")},
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
