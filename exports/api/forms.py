"""The form of the staff page "API-Schlüssel"."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from surveys.models import Survey

from . import access


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Bezeichnung"), max_length=100,
                           help_text=_("Wofür der Schlüssel ist, z. B. „Power BI Auswertung“."))
    survey = forms.ModelChoiceField(label=_("Befragung"), queryset=Survey.objects.none(), required=False,
                                    empty_label=_("Alle Befragungen, die ich sehen darf"), to_field_name="slug")
    days = forms.IntegerField(label=_("Gültig für (Tage)"), min_value=1, max_value=settings.API_KEY_MAX_DAYS,
                              initial=settings.API_KEY_DEFAULT_DAYS)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        survey = self.fields["survey"]
        assert isinstance(survey, forms.ModelChoiceField)
        survey.queryset = access.surveys_for(user).order_by("title")
        self.fields["days"].help_text = _("Höchstens %(max)s Tage.") % {"max": settings.API_KEY_MAX_DAYS}
