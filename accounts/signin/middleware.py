"""How long a staff session lasts, and the second factor before anything else.

Both act on signed-in sessions only; respondent pages (/s/…) need no login and are not touched.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from allauth.account.internal.flows.login import get_authentication_records
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

SIGNED_IN_AT = "staff_signed_in_at"
SEEN_AT = "staff_seen_at"
# Why the session ended, for the audit entry of the logout (accounts.signin.receivers).
END_REASON = "signin_end_reason"
# The last request is written to the session at most this often (not on every request).
SEEN_RESOLUTION_SECONDS = 30
GUARDED = ("/staff/", "/admin/")


def start_session(request: HttpRequest) -> None:
    """Called on every login: both clocks start now."""
    now = time.time()
    request.session[SIGNED_IN_AT] = now
    request.session[SEEN_AT] = now


def expired(request: HttpRequest, now: float) -> str:
    """"absolute", "idle" or "" for the signed-in session of this request."""
    started = request.session.get(SIGNED_IN_AT)
    seen = request.session.get(SEEN_AT)
    if not isinstance(started, (int, float)) or not isinstance(seen, (int, float)):
        return ""
    if now - started > settings.STAFF_SESSION_HOURS * 3600:
        return "absolute"
    if now - seen > settings.STAFF_SESSION_IDLE_MINUTES * 60:
        return "idle"
    return ""


class StaffSessionMiddleware:
    """Ends a session STAFF_SESSION_HOURS after its login and STAFF_SESSION_IDLE_MINUTES after its
    last request. (A password change ends the other sessions through Django's session hash.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            reason = expired(request, now)
            if reason:
                setattr(request, END_REASON, reason)
                logout(request)
                if request.path.startswith(GUARDED):
                    messages.info(request, _("Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an."))
                    return redirect_to_login(request.get_full_path(), reverse("staff:login"))
            elif SIGNED_IN_AT not in request.session:  # a session from before these limits
                start_session(request)
            elif now - request.session.get(SEEN_AT, 0) >= SEEN_RESOLUTION_SECONDS:
                request.session[SEEN_AT] = now
        return self.get_response(request)


def _exempt(path: str) -> bool:
    """The pages an account without a second factor may reach: login, logout and its own account
    pages (enrolment, recovery codes, confirming the password)."""
    return path.startswith(("/staff/login/", "/staff/logout/", "/staff/konto/"))


def signed_in_by_sso(request: HttpRequest) -> bool:
    """Whether this session's login came from the identity provider (which is then responsible for
    the second factor)."""
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "socialaccount" for record in records)


class SecondFactorMiddleware:
    """With STAFF_REQUIRE_2FA, a signed-in account without an authenticator app is sent to its
    enrolment from every staff and admin page; a single sign-on leaves the second factor to the
    identity provider."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (settings.STAFF_REQUIRE_2FA and request.path.startswith(GUARDED) and not _exempt(request.path)
                and request.user.is_authenticated
                and not is_mfa_enabled(request.user, [Authenticator.Type.TOTP])
                and not signed_in_by_sso(request)):
            return redirect("mfa_activate_totp")
        return self.get_response(request)
