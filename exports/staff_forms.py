"""Staff forms of the exports app: choosing an export's format."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from .models import ExportJob


class ExportForm(forms.Form):
    format = forms.ChoiceField(label=gettext_lazy("Format"), choices=ExportJob.Format.choices,
                               initial=ExportJob.Format.XLSX, widget=forms.RadioSelect)
    include_partial = forms.BooleanField(label=gettext_lazy("Begonnene, nicht abgeschickte Antworten einbeziehen"),
                                         required=False)
