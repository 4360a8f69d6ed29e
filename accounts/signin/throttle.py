"""Throttled logins answer 429 with Retry-After.

allauth counts failed logins (wrong password or wrong second-factor code) per address and per typed
user name (ACCOUNT_RATE_LIMITS["login_failed"]) and, over the limit, refuses with the form error
`too_many_login_attempts` in an ordinary 200 page. Here that page becomes a 429 that says how long to
wait. The count runs before the password is checked, for existing and unknown user names alike, so
the refusal never tells whether an account exists.
"""

from __future__ import annotations

import math

from allauth.core.internal.ratelimit import parse_rates
from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from accounts import audit

THROTTLED = "too_many_login_attempts"


def retry_after_seconds(action: str = "login_failed") -> int:
    """The longest window of an allauth limit: after it every counted attempt has expired."""
    rates = parse_rates(settings.ACCOUNT_RATE_LIMITS.get(action))
    return max((math.ceil(rate.duration) for rate in rates), default=60)


def wait_minutes(action: str = "login_failed") -> int:
    return max(1, math.ceil(retry_after_seconds(action) / 60))


def is_throttled(form: forms.Form) -> bool:
    return any(error.code == THROTTLED for errors in form.errors.as_data().values() for error in errors)


def refuse_if_throttled(request: HttpRequest, response: HttpResponse, *, username: str, stage: str) -> HttpResponse:
    """Turn the page of a throttled form into 429 + Retry-After and record the lockout."""
    context = response.context_data if isinstance(response, TemplateResponse) else None
    form = (context or {}).get("form")
    if isinstance(form, forms.Form) and is_throttled(form):
        response.status_code = 429
        response["Retry-After"] = str(retry_after_seconds())
        audit.record("login.locked", request=request, outcome="refused", username=username, stage=stage)
    return response
