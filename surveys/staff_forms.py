"""Forms of the staff area that belong to the survey itself: field period and lifecycle.

Staff forms render with django-crispy-forms and its Bootstrap 5 pack (`{{ form|crispy }}`); Django
links help text and errors to each field with aria-describedby, the page lists every error in
staff/_form_errors.html.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Survey


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: object) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


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
