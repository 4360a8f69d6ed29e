"""The member list's filters (also applied to the non-responder download)."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy

from invitations.models import GROESSENKLASSEN, LAENDER, Member

from . import figures as dash


class MemberFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Suche"), required=False, max_length=200,
                        help_text=gettext_lazy("Name, AGS, E-Mail-Adresse oder Ansprechperson"))
    land = forms.ChoiceField(label=gettext_lazy("Land"), required=False,
                             choices=[("", gettext_lazy("alle Länder"))] + [(land, land) for land in LAENDER])
    klasse = forms.TypedChoiceField(
        label=gettext_lazy("Größenklasse"), required=False, coerce=int, empty_value=None,
        choices=[("", gettext_lazy("alle Größenklassen"))] + [(k, f"{k} – {v}") for k, v in GROESSENKLASSEN.items()],
    )
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False,
                               choices=[("", gettext_lazy("alle"))] + dash.MemberStatus.CHOICES)

    def filter(self, members: QuerySet[Member]) -> QuerySet[Member]:
        """Apply the valid filters; invalid values (hand-edited URLs) are ignored, never a 500."""
        data = self.cleaned_data if self.is_valid() else {}
        query = (data.get("q") or "").strip()
        if query:
            members = members.filter(
                Q(name__icontains=query) | Q(ags__startswith=query) | Q(email__icontains=query)
                | Q(fallback_email__icontains=query) | Q(ansprechpartner__icontains=query)
            )
        if data.get("land"):
            members = members.filter(land=data["land"])
        if data.get("klasse"):
            members = members.filter(groessenklasse=data["klasse"])
        if data.get("status"):
            members = members.filter(status=data["status"])
        return members

    def querystring(self) -> str:
        """The active filters as a query string (for pagination and the CSV link)."""
        if not self.is_valid():
            return ""
        return urlencode({k: v for k, v in self.cleaned_data.items() if v not in (None, "")})
