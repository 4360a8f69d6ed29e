"""The staff login form: allauth's, with the field names the staff login always had."""

from __future__ import annotations

from typing import Any

from allauth.account.forms import LoginForm
from django.utils.translation import gettext_lazy as _


class StaffLoginForm(LoginForm):
    """allauth calls the user name field `login`; the page, bookmarks, password managers and scripts
    know it as `username` (id_username), so that is its name in the HTML."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["login"].label = _("Benutzername")
        self.fields["password"].label = _("Passwort")
        self.fields["password"].help_text = ""

    def add_prefix(self, field_name: str) -> str:
        return super().add_prefix("username" if field_name == "login" else field_name)

    def typed_username(self) -> str:
        return str(self.data.get("username", ""))[:150]
