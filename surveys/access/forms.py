"""Granting a role to an existing account, and revoking one (accounts/roles.py does the work)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from surveys.models import Survey
from surveys.widgets import AccessibleErrorsMixin, CrispyStaffForm


class GrantForm(CrispyStaffForm, AccessibleErrorsMixin, forms.Form):
    username = forms.CharField(label=_("Benutzername"), max_length=150,
                               help_text=_("Das Konto muss es schon geben (angelegt mit "
                                           "„python manage.py grant“ oder in der Verwaltung)."))
    # no preselected role: "owner" first in the list must not be granted by a forgotten choice
    role = forms.ChoiceField(label=_("Rolle"), choices=[("", _("– bitte wählen –")), *Role.Name.choices])

    def __init__(self, *args: Any, everywhere: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if everywhere:
            # the global page grants on one survey or, left empty, on all surveys
            self.fields["survey"] = forms.ModelChoiceField(
                label=_("Befragung"), queryset=Survey.objects.order_by("title"), required=False,
                empty_label=_("alle Befragungen"), to_field_name="slug")

    def clean_username(self) -> Any:
        name = self.cleaned_data["username"].strip()
        user = get_user_model().objects.filter(username=name).first()
        if user is None:
            raise forms.ValidationError(_("Es gibt kein Konto mit dem Benutzernamen „%(name)s“."),
                                        params={"name": name})
        return user


class RevokeForm(forms.Form):
    role = forms.IntegerField(min_value=1, max_value=2**62)
