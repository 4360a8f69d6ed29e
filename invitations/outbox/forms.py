"""Staff forms of the outbox: an address reported as undeliverable, the reminder plan."""

from __future__ import annotations

import datetime
import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import Member


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
    if token.isascii() and token.isdigit():
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
