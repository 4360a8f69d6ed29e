"""allauth adapters: no self-registration, German messages, failed logins in the audit trail."""

from __future__ import annotations

import time
from typing import Any

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.login import get_authentication_records
from allauth.core import context
from allauth.mfa.adapter import DefaultMFAAdapter
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts import audit


class StaffAccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        # The same words for an unknown user name and a wrong password.
        "username_password_mismatch": _("Benutzername oder Passwort ist falsch. Bitte achten Sie auf Groß- "
                                        "und Kleinschreibung und versuchen Sie es erneut."),
        # The page adds how long to wait (accounts.signin.throttle).
        "too_many_login_attempts": _("Zu viele fehlgeschlagene Anmeldeversuche: Die Anmeldung ist "
                                     "vorübergehend gesperrt."),
        "incorrect_code": _("Der Code ist nicht richtig. Bitte geben Sie den aktuellen Code aus Ihrer "
                            "Authenticator-App oder einen unbenutzten Wiederherstellungscode ein."),
    }

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        """Staff accounts are created by an administrator (`manage.py grant`, the admin), never by sign-up."""
        return False

    def is_reauthentication_required(self, *, app: str, **kwargs: Any) -> bool:
        """Setting up the second factor right after the login (the enrolment it leads to) needs no
        second password prompt: the login itself is the recent proof allauth asks for."""
        request = context.request
        if app == "allauth.mfa" and request is not None and request.user.is_authenticated:
            records = get_authentication_records(request, request.user)
            if records and time.time() - records[-1]["at"] < account_settings.REAUTHENTICATION_TIMEOUT:
                return False
        return bool(super().is_reauthentication_required(app=app, **kwargs))

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        audit.record("login.failed", request=request, outcome="refused",
                     username=str(credentials.get("username", ""))[:150])


class StaffMFAAdapter(DefaultMFAAdapter):
    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "incorrect_code": StaffAccountAdapter.error_messages["incorrect_code"],
    }
