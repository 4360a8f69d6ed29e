"""allauth adapters: no self-registration, German messages, failed logins in the audit trail."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.http import HttpRequest
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts import audit
from accounts.signin.throttle import wait_minutes


def _throttled_message() -> str:
    minutes = wait_minutes()
    return ngettext("Zu viele fehlgeschlagene Anmeldeversuche. Die Anmeldung ist vorübergehend gesperrt. "
                    "Bitte warten Sie %(minutes)d Minute und versuchen Sie es dann erneut.",
                    "Zu viele fehlgeschlagene Anmeldeversuche. Die Anmeldung ist vorübergehend gesperrt. "
                    "Bitte warten Sie %(minutes)d Minuten und versuchen Sie es dann erneut.",
                    minutes) % {"minutes": minutes}


class StaffAccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        # The same words for an unknown user name and a wrong password.
        "username_password_mismatch": _("Benutzername oder Passwort ist falsch. Bitte achten Sie auf Groß- "
                                        "und Kleinschreibung und versuchen Sie es erneut."),
        "too_many_login_attempts": lazy(_throttled_message, str)(),
        "incorrect_code": _("Der Code ist nicht richtig. Bitte geben Sie den aktuellen Code aus Ihrer "
                            "Authenticator-App oder einen unbenutzten Wiederherstellungscode ein."),
    }

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        """Staff accounts are created by an administrator (`manage.py grant`, the admin), never by sign-up."""
        return False

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        audit.record("login.failed", request=request, outcome="refused",
                     username=str(credentials.get("username", ""))[:150])


class StaffMFAAdapter(DefaultMFAAdapter):
    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "incorrect_code": StaffAccountAdapter.error_messages["incorrect_code"],
    }
