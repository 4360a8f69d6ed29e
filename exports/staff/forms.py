"""Forms of the exports staff area: the export request, the cross-tab choice (a GET form), the minimum
base, the wave to compare with."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.utils.translation import gettext_lazy as _

from exports.analysis import crosstab
from exports.formats import registry
from surveys.models import Survey


def _variable_choices(survey: Survey) -> list[tuple[str, str]]:
    return [(v.code, f"{v.code} – {v.label}") for v in crosstab.variables(survey)]


class CrosstabForm(forms.Form):
    """Split by one variable, optionally keep only some values of another. Without JavaScript the
    values of a filter appear after the filter variable has been chosen and the form sent once."""

    by = forms.ChoiceField(label=_("Spalten (aufgeteilt nach)"))
    filter = forms.ChoiceField(label=_("Filter: nur Befragte mit"), required=False)
    values = forms.MultipleChoiceField(label=_("Werte des Filters"), required=False,
                                       widget=forms.CheckboxSelectMultiple)
    weighted = forms.BooleanField(label=_("Gewichtet (Raking auf Land × Größenklasse)"), required=False)
    teilantworten = forms.BooleanField(label=_("Begonnene Antworten einbeziehen"), required=False)

    def __init__(self, survey: Survey, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.known = crosstab.variable_map(survey)
        choices = _variable_choices(survey)
        self.fields["by"].choices = choices
        self.fields["filter"].choices = [("", _("– kein Filter –"))] + choices
        chosen = self.data.get("filter") if self.is_bound else None
        self.filter_variable = self.known.get(chosen) if chosen else None
        if self.filter_variable:
            self.fields["values"].choices = list(self.filter_variable.values)
            self.fields["values"].label = _("Werte von %(var)s") % {"var": self.filter_variable.code}
        for name in ("values", "weighted", "teilantworten"):
            self.fields[name].widget.attrs["class"] = "form-check-input"

    @property
    def awaiting_values(self) -> bool:
        """A filter variable is chosen but no value yet: show its values, no error."""
        return bool(self.is_valid() and self.cleaned_data["filter"] and not self.cleaned_data["values"])

    def spec(self) -> crosstab.Spec:
        data = self.cleaned_data
        flt = None
        if data["filter"] and data["values"]:
            flt = crosstab.Filter(data["filter"], crosstab.parse_values(data["values"]))
        return crosstab.Spec(by=data["by"], filter=flt, include_partial=data["teilantworten"],
                             weighted=data["weighted"])


class MinBaseForm(forms.ModelForm):
    class Meta:
        model = Survey
        fields = ["min_base"]

    def clean_min_base(self) -> int:
        value = self.cleaned_data["min_base"]
        if value < 1:
            raise forms.ValidationError(_("Die Mindestbasis muss mindestens 1 sein (1 = kein Schutz)."))
        if value > 1000:
            raise forms.ValidationError(_("Die Mindestbasis darf höchstens 1000 sein."))
        return value


class WaveForm(forms.Form):
    vergleich = forms.ChoiceField(label=_("Vergleichen mit"))

    def __init__(self, choices: list[tuple[str, str]], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["vergleich"].choices = choices


# Bootstrap's form-check layout (and the app's 3:1 control borders) need the class on the input itself;
# without it the screenshots showed radios glued to their labels and indented.
_CHECK = {"class": "form-check-input"}


class ExportForm(forms.Form):
    format = forms.ChoiceField(label=_("Format"), choices=registry.choices, initial=registry.DEFAULT,
                               widget=forms.RadioSelect(attrs=_CHECK))
    include_partial = forms.BooleanField(label=_("Begonnene, nicht abgeschickte Antworten einbeziehen"),
                                         required=False, widget=forms.CheckboxInput(attrs=_CHECK))
    publication = forms.BooleanField(
        label=_("Veröffentlichungsfassung (nur Tabellen: keine Einzeldaten, kleine Fallzahlen unterdrückt; "
                "Excel-Arbeitsmappe oder Ergebnisbericht)"),
        required=False, widget=forms.CheckboxInput(attrs=_CHECK))
    by = forms.ChoiceField(label=_("Kreuztabellen"), required=False,
                           widget=forms.Select(attrs={"class": "form-select"}))
    filter = forms.CharField(required=False, widget=forms.HiddenInput)
    values = forms.MultipleChoiceField(required=False, widget=forms.MultipleHiddenInput)
    weighted = forms.BooleanField(label=_("Gewichtet (Raking auf Land × Größenklasse): gewichtete Ergebnistabellen "
                                          "und Kreuztabellen, Gewichtsspalte in den Rohdaten"), required=False,
                                  widget=forms.CheckboxInput(attrs=_CHECK))

    def __init__(self, *args: object, survey: Survey | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.known = crosstab.variable_map(survey) if survey else {}
        self.fields["by"].choices = [("", _("nach Land und Größenklasse (Standard)"))] + [
            (v.code, f"{v.code} – {v.label}") for v in self.known.values()]
        chosen = self.known.get(str(self.data.get("filter", ""))) if self.is_bound else None
        self.fields["values"].choices = list(chosen.values) if chosen else []

    def clean(self) -> dict:
        data = super().clean()
        if data.get("filter") and data["filter"] not in self.known:
            self.add_error(None, _("Unbekannte Filtervariable %(var)s.") % {"var": data["filter"]})
        if data.get("publication") and data.get("format") and registry.publication_refusal(data["format"]):
            self.add_error("publication", registry.publication_refusal(data["format"]))
        if data.get("filter") and not data.get("values"):
            self.add_error(None, _("Für den Filter %(var)s sind keine Werte gewählt.") % {"var": data["filter"]})
        return data

    def options(self) -> dict:
        """The cross-tab choice for ExportJob.options (empty: the standard Land/size class tables)."""
        data = self.cleaned_data
        if not data.get("by") and not data.get("filter") and not data.get("weighted"):
            return {}
        flt = crosstab.Filter(data["filter"], tuple(data["values"])) if data.get("filter") else None
        return crosstab.Spec(by=data.get("by") or "land", filter=flt, weighted=data["weighted"]).as_dict()


class FreeTextSearchForm(forms.Form):
    """The GET search of a free-text list; anything typed is only a substring, never a pattern."""

    q = forms.CharField(label=_("Suche"), required=False, max_length=200,
                        help_text=_("Teil des Textes, Name der Kommune oder Anfang des AGS; Groß- und "
                                    "Kleinschreibung egal"))
    teilantworten = forms.BooleanField(label=_("Begonnene Antworten einbeziehen"), required=False)

    def search(self) -> str:
        return self.cleaned_data.get("q", "") if self.is_valid() else ""

    def include_partial(self) -> bool:
        return bool(self.cleaned_data.get("teilantworten")) if self.is_valid() else False

    def querystring(self) -> str:
        if not self.is_valid():
            return ""
        data = {"q": self.search().strip(), "teilantworten": "1" if self.include_partial() else ""}
        return urlencode({k: v for k, v in data.items() if v})
