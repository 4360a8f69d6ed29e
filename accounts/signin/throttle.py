"""Throttled logins answer 429 with Retry-After.

allauth counts failed logins (wrong password or wrong second-factor code) per address and per typed
user name (ACCOUNT_RATE_LIMITS["login_failed"]) and, over the limit, refuses with the form error
`too_many_login_attempts` in an ordinary 200 page. Here that page becomes a 429 that says how long to
wait. The count runs before the password is checked, for existing and unknown user names alike, so
the refusal never tells whether an account exists.
"""

from __future__ import annotations

import math
import time

from allauth.core.internal.ratelimit import get_cache_key, parse_rates
from django import forms
from django.conf import settings
from django.core.cache import cache
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


def seconds_until_unlocked(request: HttpRequest, key: str) -> int:
    """How long until the exceeded failed-login limits for this address and key (the typed user name,
    or the account in the second-factor step) let a try through; the longest window if unknown."""
    now = time.time()
    waits = []
    for rate in parse_rates(settings.ACCOUNT_RATE_LIMITS.get("login_failed")):
        if rate.per not in ("ip", "key"):
            continue
        cache_key = get_cache_key(request, app="allauth.account", action="login_failed", rate=rate, key=key)
        history = [stamp for stamp in cache.get(cache_key) or [] if stamp > now - rate.duration]
        if len(history) >= rate.amount:  # newest first: the amount-th newest has to expire
            waits.append(history[rate.amount - 1] + rate.duration - now)
    return max(1, math.ceil(max(waits))) if waits else retry_after_seconds()


def is_throttled(form: forms.Form) -> bool:
    return any(error.code == THROTTLED for errors in form.errors.as_data().values() for error in errors)


def refuse_if_throttled(request: HttpRequest, response: HttpResponse, *, key: str, username: str,
                        stage: str) -> HttpResponse:
    """Turn the page of a throttled form into 429 + Retry-After (also shown in the page as minutes)
    and record the lockout."""
    context = response.context_data if isinstance(response, TemplateResponse) else None
    form = (context or {}).get("form")
    if context is not None and isinstance(form, forms.Form) and is_throttled(form):
        seconds = seconds_until_unlocked(request, key)
        response.status_code = 429
        response["Retry-After"] = str(seconds)
        context["retry_minutes"] = max(1, math.ceil(seconds / 60))
        audit.record("login.locked", request=request, outcome="refused", username=username, stage=stage)
    return response
