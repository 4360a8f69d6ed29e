"""Sign-in events into the audit trail, and the session clocks started on login."""

from __future__ import annotations

from typing import Any

from allauth.account.internal.flows.login import get_authentication_records
from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest

from accounts import audit
from accounts.signin.middleware import END_REASON, start_session
from accounts.signin.sso import apply_roles


@receiver(user_logged_in, dispatch_uid="accounts.signin.logged_in")
def logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is None or not hasattr(request, "session"):
        return
    start_session(request)
    records = get_authentication_records(request, user)
    method = str(records[0].get("method", "")) if records else ""
    detail: dict[str, Any] = {"method": method} if method else {}
    if method == "socialaccount":
        detail["roles"] = apply_roles(user, request)
    audit.record("login.succeeded", request=request, user=user, **detail)


@receiver(user_logged_out, dispatch_uid="accounts.signin.logged_out")
def logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    reason = getattr(request, END_REASON, "")
    audit.record("logout", request=request, user=user, outcome="expired" if reason else "ok",
                 **({"reason": reason} if reason else {}))


@receiver(mfa_signals.authenticator_added, dispatch_uid="accounts.signin.mfa_added")
def authenticator_added(sender: Any, request: HttpRequest, user: Any, authenticator: Authenticator,
                        **kwargs: Any) -> None:
    # The recovery codes come with the first app: one entry for the enrolment, not one per part.
    if authenticator.type != Authenticator.Type.RECOVERY_CODES:
        audit.record("mfa.enrolled", request=request, user=user, method=authenticator.type)


@receiver(mfa_signals.authentication_failed, dispatch_uid="accounts.signin.mfa_failed")
def second_factor_failed(sender: Any, request: HttpRequest, user: Any, authenticator: Authenticator,
                         **kwargs: Any) -> None:
    audit.record("mfa.failed", request=request, user=user, outcome="refused",
                 reauthentication=bool(kwargs.get("reauthentication")))
